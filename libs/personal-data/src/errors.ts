import { DomainError } from '@ledger/domain';

/**
 * A fault of the keys or of what they protect: a key file not fit to use, a key store sealed under
 * another key-encryption key, a sealed value that does not open. The operator's to fix (the service
 * stops, or answers 5xx), never the caller's; each has a stable `code`.
 */
export class PersonalDataError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The key-encryption key file cannot be used: open to others, or not 32 bytes. Never replaced: the keys it wraps would be lost. */
export class KeyFileError extends PersonalDataError {
  constructor(message: string) {
    super('KEY_FILE_UNUSABLE', message);
  }
}

/** A wrapped key that does not unwrap: another key-encryption key, another context (student), or altered bytes. */
export class KeyUnwrapError extends PersonalDataError {
  constructor(message: string) {
    super('KEY_UNWRAP_FAILED', message);
  }
}

/** The key store's keys were wrapped by another key-encryption key than the one given. */
export class KeyStoreKeyMismatchError extends PersonalDataError {
  constructor(message: string) {
    super('KEY_STORE_KEK_MISMATCH', message);
  }
}

/** A sealed value that does not open: altered, moved to another student or field, or sealed under another key. */
export class SealBrokenError extends PersonalDataError {
  constructor(message: string) {
    super('SEAL_BROKEN', message);
  }
}

/**
 * The student's personal data was erased (their data key destroyed): nothing can be sealed or read
 * for them again. A conflict with the ledger's state, so it is a DomainError (409) when a request
 * names an erased student.
 */
export class StudentDataErasedError extends DomainError {
  static readonly code = 'STUDENT_DATA_ERASED';
  constructor(
    readonly studentKey: string,
    readonly erasedAt: Date,
  ) {
    super(StudentDataErasedError.code, 'conflict', `the personal data of student ${studentKey} was erased on ${erasedAt.toISOString()}: nothing more is kept or read for them`);
  }
}

/**
 * Every way a command can be refused, in one place. Each error has a stable `code` that clients
 * and tests rely on, and a `kind` that the HTTP layer maps to a status once:
 * invalid → 400, not_found → 404, conflict → 409, rule → 422.
 */
export type DomainErrorKind = 'invalid' | 'not_found' | 'conflict' | 'rule';

export interface FieldProblem {
  /** Path of the offending field in the command, e.g. `amount` or `student.residentId`. */
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly kind: DomainErrorKind,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  get problems(): FieldProblem[] {
    return this.field ? [{ field: this.field, message: this.message }] : [];
  }
}

const define = (code: string, kind: DomainErrorKind) =>
  class extends DomainError {
    static readonly code = code;
    constructor(message: string, field?: string) {
      super(code, kind, message, field);
    }
  };

// Malformed values (400)
export const InvalidAmount = define('AMOUNT_INVALID', 'invalid');
export const InvalidResidentId = define('RESIDENT_ID_INVALID', 'invalid');
export const InvalidStudentNumber = define('STUDENT_NUMBER_INVALID', 'invalid');
export const InvalidSchoolCode = define('SCHOOL_CODE_INVALID', 'invalid');
export const InvalidPeriod = define('PERIOD_INVALID', 'invalid');
export const InvalidDate = define('DATE_INVALID', 'invalid');
export const MissingStudentIdentity = define('STUDENT_IDENTITY_MISSING', 'invalid');
/** A request body nested deeper than any request needs (refused before it is parsed). */
export const BodyTooDeep = define('BODY_TOO_DEEP', 'invalid');
/** A request body naming one field twice in one object: JSON.parse would keep the last silently. */
export const BodyKeyRepeated = define('BODY_KEY_REPEATED', 'invalid');
export const StudentIdentifiersDisagree = define('STUDENT_IDENTIFIERS_DISAGREE', 'invalid');

// Rules of the write path (422 unless the rule is about another record: then 404/409)
export const AmountNotPositive = define('AMOUNT_NOT_POSITIVE', 'rule');
export const AmountOffStandard = define('AMOUNT_OFF_STANDARD', 'rule');
export const AmountOverCap = define('AMOUNT_OVER_CAP', 'rule');
export const UnknownProgram = define('PROGRAM_UNKNOWN', 'rule');
export const ProgramNotOpen = define('PROGRAM_NOT_OPEN', 'rule');
export const PeriodBasisMismatch = define('PERIOD_BASIS_MISMATCH', 'rule');
export const StageNotEligible = define('STAGE_NOT_ELIGIBLE', 'rule');
export const PayeeNotAllowed = define('PAYEE_NOT_ALLOWED', 'rule');
export const NotALoanProgram = define('NOT_A_LOAN_PROGRAM', 'rule');
export const LoanProgramNeedsLoanCommand = define('LOAN_PROGRAM_NEEDS_LOAN_COMMAND', 'rule');
export const LoanOverYearlyCap = define('LOAN_OVER_YEARLY_CAP', 'rule');
export const RepaymentExceedsOutstanding = define('REPAYMENT_EXCEEDS_OUTSTANDING', 'rule');
export const UnknownFundingSource = define('FUNDING_SOURCE_UNKNOWN', 'rule');
export const DateOutsidePeriod = define('DATE_OUTSIDE_PERIOD', 'rule');
export const ReversalBeforePayment = define('REVERSAL_BEFORE_PAYMENT', 'rule');
/** A value date or an approval date after today: the ledger records only what has happened. */
export const DateInFuture = define('DATE_IN_FUTURE', 'rule');
export const RepaymentBeforeLoan = define('REPAYMENT_BEFORE_LOAN', 'rule');
export const DateOutsideFiscalYear = define('DATE_OUTSIDE_FISCAL_YEAR', 'rule');
export const BudgetExceeded = define('BUDGET_EXCEEDED', 'rule');

export const DuplicatePayment = define('DUPLICATE_PAYMENT', 'conflict');
export const DuplicateApproval = define('DUPLICATE_APPROVAL', 'conflict');
export const MutuallyExclusivePrograms = define('MUTUALLY_EXCLUSIVE_PROGRAMS', 'conflict');
export const DisbursementAlreadyReversed = define('DISBURSEMENT_ALREADY_REVERSED', 'conflict');
export const IdAlreadyUsed = define('ID_ALREADY_USED', 'conflict');
export const ApprovalMismatch = define('APPROVAL_MISMATCH', 'conflict');

/** A conflict that lies in several fields of the request together: each is named, with the one message. */
class ConflictOfFields extends DomainError {
  constructor(
    code: string,
    message: string,
    readonly fields: readonly string[],
  ) {
    super(code, 'conflict', message, fields[0]);
  }

  override get problems(): FieldProblem[] {
    return this.fields.map((field) => ({ field, message: this.message }));
  }
}

/** Two identifiers of one request lead to two students' records: every field at fault is named. */
export class StudentIdentifiersConflict extends ConflictOfFields {
  static readonly code = 'STUDENT_IDENTIFIERS_CONFLICT';
  constructor(message: string, fields: readonly string[]) {
    super(StudentIdentifiersConflict.code, message, fields);
  }
}

/** A record id (a payment's, a loan's) that several students' records hold: the request must name the student, in any of the fields given. */
export class RecordIdAmbiguous extends ConflictOfFields {
  static readonly code = 'RECORD_ID_AMBIGUOUS';
  constructor(message: string, fields: readonly string[]) {
    super(RecordIdAmbiguous.code, message, fields);
  }
}

export const DisbursementNotFound = define('DISBURSEMENT_NOT_FOUND', 'not_found');
export const ApprovalNotFound = define('APPROVAL_NOT_FOUND', 'not_found');
export const LoanNotFound = define('LOAN_NOT_FOUND', 'not_found');
/** No record is filed under the student named (erasure names an existing record). */
export const StudentRecordNotFound = define('STUDENT_RECORD_NOT_FOUND', 'not_found');
/** The student's personal data is already erased. */
export const StudentDataAlreadyErased = define('STUDENT_DATA_ALREADY_ERASED', 'conflict');
/** A command to a record whose personal data was erased: nothing more is recorded there. */
export const StudentRecordErased = define('STUDENT_RECORD_ERASED', 'conflict');
/** A legal hold asked for a student already on one. */
export const StudentAlreadyOnHold = define('STUDENT_ALREADY_ON_HOLD', 'conflict');
/** A lift asked for a student on no legal hold. */
export const StudentNotOnHold = define('STUDENT_NOT_ON_HOLD', 'conflict');
/** A command to a record on legal hold (storage only): nothing more is recorded there until the hold is lifted. */
export const StudentOnLegalHold = define('STUDENT_ON_LEGAL_HOLD', 'conflict');
/** An auditor's read of a student on legal hold states no purpose (X-Purpose): every such read is recorded with why. */
export const PurposeRequired = define('PURPOSE_REQUIRED', 'invalid');
/** A student whose record a ledger written before the key store keeps under the identifier in clear. */
export const StudentRecordInClear = define('STUDENT_RECORD_IN_CLEAR', 'conflict');

// Payment lists (imports): the file as a whole, or a row's place in it
export const ImportFileUnreadable = define('IMPORT_FILE_UNREADABLE', 'invalid');
export const ImportFileEncoding = define('IMPORT_FILE_ENCODING', 'invalid');
export const ImportSheetsAmbiguous = define('IMPORT_SHEETS_AMBIGUOUS', 'invalid');
export const ImportTotalMismatch = define('IMPORT_TOTAL_MISMATCH', 'rule');
export const ImportRowAfterTotal = define('IMPORT_ROW_AFTER_TOTAL', 'invalid');
export const ImportRowTooManyCells = define('IMPORT_ROW_TOO_MANY_CELLS', 'invalid');
export const ImportRowRepeated = define('IMPORT_ROW_REPEATED', 'conflict');
export const ImportConflict = define('IMPORT_CONFLICT', 'conflict');

// Users and tokens
/**
 * A role change or a disabling that would leave no enabled admin: nobody could then add a user or
 * issue or revoke a token, over HTTP or on the CLI. A conflict with the current users, not a fault
 * of the request: the same request succeeds once another admin is added.
 */
export const LastAdmin = define('LAST_ADMIN', 'conflict');
/** A token request retried with its Idempotency-Key: the token exists, its secret was in the first answer only. */
export const TokenSecretShownOnce = define('TOKEN_SECRET_SHOWN_ONCE', 'conflict');

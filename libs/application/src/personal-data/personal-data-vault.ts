import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { StudentIdentifiersConflict } from '@ledger/domain';
import { FileKeyEncryptionKey, Identifier, IdentifiersConflict, IdentityIndex, LocatedIdentifier, Placement, StudentKeyStore, isSealed, openSeal, seal, sealAad, studentKeyStorePath } from '@ledger/personal-data';
import { mapSealedFields } from './sealed-fields';

/** What an erased student's personal fields read as: the data is gone, the fact that there was some is not. */
export const ERASED = 'erased';

/** The stream of a student's record, by the opaque key it is filed under. */
const STUDENT_STREAM = /^beneficiary-(.+)$/;

/** The student a stream belongs to (its opaque key), or undefined for streams that are no student's. */
export const studentKeyOfStream = (streamId: string): string | undefined => STUDENT_STREAM.exec(streamId)?.[1];

/** The key-encryption key's file in the key directory (unless LEDGER_KEY_ENCRYPTION_KEY_FILE puts it elsewhere). */
export const KEY_ENCRYPTION_KEY_FILE = 'key-encryption.key';

/**
 * The one place personal data is sealed and opened: with the student's own data key, held by the
 * key store (outside the log, wrapped by the key-encryption key). Events are sealed on their way into
 * the log, so the hash chain and the Merkle leaves cover the ciphertext; they are opened only where an
 * answer needs the data. After an erasure the key is gone: the fields read as `erased`.
 */
export class PersonalDataVault {
  private constructor(
    readonly keys: StudentKeyStore,
    readonly index: IdentityIndex,
  ) {}

  static open(keyDir: string, options: { keyEncryptionKeyFile?: string; readonly?: boolean } = {}): PersonalDataVault {
    const kek = FileKeyEncryptionKey.openOrCreate(options.keyEncryptionKeyFile ?? join(keyDir, KEY_ENCRYPTION_KEY_FILE));
    const keys = StudentKeyStore.open(studentKeyStorePath(keyDir), kek, { readonly: options.readonly ?? false });
    return new PersonalDataVault(keys, keys.identityIndex);
  }

  /**
   * The event's data as it is appended to `streamId`: a student's personal fields sealed (fields
   * already sealed are kept as they are); `dataKeys`, the keys an import's placement just gave.
   */
  sealFor(streamId: string, data: unknown, dataKeys?: ReadonlyMap<string, Buffer>): unknown {
    const studentKey = studentKeyOfStream(streamId);
    if (!studentKey) return data;
    let dataKey: Buffer | undefined;
    const keyOf = () => (dataKey ??= dataKeys?.get(studentKey) ?? this.keys.ensureDataKey(studentKey));
    return mapSealedFields(data, (value, path) => (isSealed(value) ? value : seal(keyOf(), value, sealAad(studentKey, path))));
  }

  /** The event's data with the student's personal fields opened (`erased` where the key was destroyed). */
  openFor(studentKey: string, data: unknown): unknown {
    let dataKey: ReturnType<StudentKeyStore['dataKeyOf']> | null = null;
    return mapSealedFields(data, (value, path) => {
      if (!isSealed(value)) return value;
      if (dataKey === null) dataKey = this.keys.dataKeyOf(studentKey);
      return Buffer.isBuffer(dataKey) ? openSeal(dataKey, value, sealAad(studentKey, path)) : ERASED;
    });
  }

  private queued: Array<{ work: () => unknown; resolve: (result: never) => void; reject: (error: unknown) => void }> = [];

  /**
   * Runs `work` on the key store with the work of every command of this turn of the event loop, in
   * one transaction (one durable commit for all: the key store syncs each commit); each in a savepoint
   * of its own, so one that throws leaves the others.
   */
  private together<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ work, resolve: resolve as (result: never) => void, reject });
      if (this.queued.length === 1) setImmediate(() => this.runQueued());
    });
  }

  private runQueued(): void {
    const batch = this.queued;
    this.queued = [];
    let outcomes: Array<{ result: unknown } | { error: unknown }>;
    try {
      outcomes = this.keys.inOneTransaction(() =>
        batch.map(({ work }) => {
          try {
            return { result: this.keys.inOneTransaction(work) };
          } catch (error) {
            return { error };
          }
        }),
      );
    } catch (error) {
      for (const { reject } of batch) reject(error);
      return;
    }
    outcomes.forEach((outcome, i) => ('error' in outcome ? batch[i].reject(outcome.error) : batch[i].resolve(outcome.result as never)));
  }

  /** As the index's place (linking what is not yet linked), in a transaction shared with the other commands of the moment. */
  place(identifiers: Identifier[]): Promise<Placement | IdentifiersConflict> {
    return this.together(() => this.index.place(identifiers));
  }

  /** Files these identifiers under this key (a new student's, made before their first write), in a shared transaction: false when one of them was filed under another key meanwhile. */
  file(studentKey: string, identifiers: Identifier[]): Promise<boolean> {
    return this.together(() => !('conflict' in this.index.restore(studentKey, identifiers)));
  }

  /** Students an import gave keys to, not yet in the index: written with the next part of its batch (placeDeferred). */
  private readonly deferred = new Map<string, LocatedIdentifier[]>();

  /** Where the index files this identifier now (one read): what an import defers is located first. */
  locate(identifier: Identifier): LocatedIdentifier {
    return this.index.locate(identifier);
  }

  /** Files new students of an import under keys of its own making, to be written to the index before the part that holds them (one transaction for all). */
  defer(studentKey: string, identifiers: LocatedIdentifier[]): void {
    this.deferred.set(studentKey, [...(this.deferred.get(studentKey) ?? []), ...identifiers]);
  }

  /** Forgets what an earlier batch deferred and never appended (a dry run, a refused list): a new batch starts clean. */
  discardDeferred(): void {
    this.deferred.clear();
  }

  /**
   * Writes the deferred placements and their data keys, in one transaction; returns those keys, for
   * sealing the import's events. Another write that placed one of these identifiers meanwhile under
   * another key: refused, nothing of the import is recorded.
   */
  placeDeferred(): ReadonlyMap<string, Buffer> {
    if (this.deferred.size === 0) return new Map();
    const placements = [...this.deferred].map(([studentKey, identifiers]) => ({ studentKey, identifiers }));
    this.deferred.clear();
    const filed = this.index.fileAll(placements);
    if ('conflict' in filed) throw new StudentIdentifiersConflict('while this list was imported, another write named one of its students by these identifiers: import the list again', filed.conflict);
    return filed.dataKeys;
  }

  /** One personal field's value opened (`path` as in SEALED_FIELDS, e.g. `beneficiary.name`): values in clear come back as they are. */
  openField(studentKey: string, path: string, value: string): string {
    if (!isSealed(value)) return value;
    const dataKey = this.keys.dataKeyOf(studentKey);
    return Buffer.isBuffer(dataKey) ? openSeal(dataKey, value, sealAad(studentKey, path)) : ERASED;
  }

  close(): void {
    this.keys.close();
  }
}

/**
 * The vault of a ledger's settings: made on first use for a ledger that writes; opened read-only, when
 * there is one, for a command that only reads (undefined when there is none: nothing can be opened).
 */
export function openPersonalDataVault(settings: { keyDir: string; keyEncryptionKeyFile: string }, use: 'write' | 'read'): PersonalDataVault | undefined {
  if (use === 'read' && !(existsSync(studentKeyStorePath(settings.keyDir)) && existsSync(settings.keyEncryptionKeyFile))) return undefined;
  return PersonalDataVault.open(settings.keyDir, { keyEncryptionKeyFile: settings.keyEncryptionKeyFile, readonly: use === 'read' });
}

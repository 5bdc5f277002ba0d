import Database from 'better-sqlite3';
import { createHmac, randomBytes } from 'node:crypto';
import { freshRandom } from './fresh-random';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KeyStoreKeyMismatchError, StudentDataErasedError } from './errors';
import { IDENTIFIER_KINDS, IdentifierKind, IdentityIndex } from './identity-index';
import { KeyEncryptionKey } from './key-encryption-key';
import { assertStudentKey } from './student-key';

/** The key store's file in a key directory. */
export const STUDENT_KEY_STORE_FILE = 'student-keys.sqlite';
export const studentKeyStorePath = (keyDir: string) => join(keyDir, STUDENT_KEY_STORE_FILE);

const SCHEMA_VERSION = 1;
const DATA_KEY_BYTES = 32;
const INDEX_KEY = 'blind-index';
/** Data keys kept unwrapped in memory at most: an import's part of new students, and the students a busy service writes to. */
const RECENT_DATA_KEYS = 50_000;

/** Where a wrapped key says it belongs (authenticated with it): a student's data key cannot be moved to another student. */
const dataKeyContext = (studentKey: string) => `student-data-key:${studentKey}`;
const indexKeyContext = 'blind-index-key';

export interface StudentKeyStoreOptions {
  /** Reads only (a read-only data directory, a copy to audit): the file must exist; nothing is made, linked or destroyed. */
  readonly?: boolean;
}

/** A destroyed data key: whose, and when. No key material. */
export interface Tombstone {
  studentKey: string;
  at: Date;
}

/**
 * Each student's data key (a random 256-bit AES key, stored only wrapped by the key-encryption key),
 * the tombstones of destroyed ones, the blind-index key and the identity index, in one SQLite file of
 * their own — apart from the event log, so destroying a key changes no byte of the log.
 *
 * Erased key material must survive in no file. `secure_delete` zeroes deleted rows and freed pages,
 * but not the stale copies a B-tree leaves in a page's free space when it moves cells between pages
 * (the rows of a student still live at the time): so every erasure is followed by a VACUUM, which
 * writes the database anew from its live rows. The journal is a rollback journal
 * (`journal_mode = DELETE`), which holds old pages only while a transaction runs and is deleted when
 * it commits; a WAL would keep old frames until a checkpoint truncates it, and a reader in another
 * process can hold that back. The store is small and rarely written — a new student, an erasure — so
 * the WAL's concurrency buys nothing here. Processes share the file: every write is one BEGIN
 * IMMEDIATE transaction.
 */
export class StudentKeyStore {
  /** Maps identifiers to student keys, in this same file (see IdentityIndex). */
  readonly identityIndex: IdentityIndex;
  readonly #indexKey: Buffer;
  private readonly statements: ReturnType<typeof prepare>;
  /** better-sqlite3's transaction wrapper, made once (making one per call cost a tenth of a write's time). */
  private transactionRunnerCache: ReturnType<Database.Database['transaction']> | undefined;
  private get transactionRunner(): ReturnType<Database.Database['transaction']> {
    return (this.transactionRunnerCache ??= this.db.transaction((work: () => unknown) => work()));
  }

  /**
   * `transactionOf(work)()` runs `work`, which only reads, in a deferred transaction (inside another,
   * as part of it); `.immediate()` runs work that writes in an immediate one (a savepoint inside
   * another, undone alone when it throws). For this store and its identity index, which shares its
   * connection.
   */
  transactionOf<T>(work: () => T): { (): T; immediate(): T } {
    return Object.assign(() => (this.db.inTransaction ? work() : this.committed(() => this.transactionRunner(work) as T)), {
      immediate: () => this.committed(() => this.transactionRunner.immediate(work) as T),
    });
  }

  /** Data keys made or unwrapped in the transaction that runs: kept in memory once it commits, forgotten when (the part of it that read them) rolls back. */
  private uncommittedDataKeys: Array<[string, Buffer]> = [];

  private committed<T>(run: () => T): T {
    const outermost = !this.db.inTransaction;
    const mark = this.uncommittedDataKeys.length;
    try {
      const result = run();
      if (outermost) for (const [studentKey, dataKey] of this.uncommittedDataKeys.splice(0)) this.remember(studentKey, dataKey);
      return result;
    } catch (error) {
      this.uncommittedDataKeys.length = outermost ? 0 : mark;
      throw error;
    }
  }

  private constructor(
    private readonly db: Database.Database,
    private readonly kek: KeyEncryptionKey,
    readonly path: string,
    readonly readonly: boolean,
  ) {
    this.statements = prepare(db);
    this.#indexKey = this.loadIndexKey();
    this.identityIndex = new IdentityIndex(db, this);
    if (!readonly) this.scrubIfPending(); // an erasure whose VACUUM did not run (a crash, a busy store)
  }

  /**
   * Opens (or makes, mode 0600) the key store at this path with this key-encryption key.
   * KeyStoreKeyMismatchError when the store's keys were wrapped by another key-encryption key.
   */
  static open(path: string, kek: KeyEncryptionKey, options: StudentKeyStoreOptions = {}): StudentKeyStore {
    const readonly = options.readonly === true;
    if (!readonly) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // Made here so that it is 0600 from the start: SQLite gives its journal the database file's mode.
      closeSync(openSync(path, 'a', 0o600));
    }
    const db = new Database(path, readonly ? { readonly: true, fileMustExist: true } : {});
    try {
      db.pragma('busy_timeout = 10000');
      db.pragma('temp_store = MEMORY'); // no temporary file holds a row
      // An import files a hundred thousand students in one transaction: with SQLite's 2 MB default the
      // index's random inserts spill pages to the file (and the journal) before the commit.
      db.pragma('cache_size = -65536');
      if (readonly) {
        const version = db.pragma('user_version', { simple: true });
        if (version !== SCHEMA_VERSION) throw new Error(`${path}: key store schema version ${String(version)}, not ${SCHEMA_VERSION} (open it once writable)`);
      } else {
        db.pragma('secure_delete = ON');
        if (db.pragma('secure_delete', { simple: true }) !== 1) throw new Error(`${path}: this SQLite does not zero deleted content (secure_delete)`);
        const mode = db.pragma('journal_mode = DELETE', { simple: true });
        if (mode !== 'delete') throw new Error(`${path}: journal mode is ${String(mode)}, not delete`);
        db.pragma('synchronous = FULL');
        migrate(db, path);
      }
      return new StudentKeyStore(db, kek, path, readonly);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** The student's data key, made (and stored wrapped) on first use. StudentDataErasedError once it was destroyed. */
  ensureDataKey(studentKey: string): Buffer {
    const known = this.dataKeyOrErased(studentKey);
    if (known) return known;
    return this.writing(() => {
      const settled = this.dataKeyOrErased(studentKey);
      if (settled) return settled;
      const dataKey = freshRandom(DATA_KEY_BYTES);
      this.statements.insertDataKey.run(studentKey, this.kek.id, this.kek.wrap(dataKey, dataKeyContext(studentKey)));
      this.uncommittedDataKeys.push([studentKey, dataKey]);
      return dataKey;
    });
  }

  /** Runs work that writes: as part of the transaction that runs (which a failure undoes), else in an immediate one of its own. */
  writing<T>(work: () => T): T {
    return this.db.inTransaction ? work() : this.transactionOf(work).immediate();
  }

  /** The student's data key; 'destroyed' once it was; undefined when they have none yet. */
  dataKeyOf(studentKey: string): Buffer | 'destroyed' | undefined {
    assertStudentKey(studentKey);
    const cached = this.cachedDataKey(studentKey);
    if (cached) return cached;
    const found = this.transactionOf(() => {
      if (this.statements.tombstone.get(studentKey)) return 'destroyed' as const;
      const row = this.statements.dataKey.get(studentKey) as { kek_id: string; wrapped: Buffer } | undefined;
      return row && this.unwrap(row, dataKeyContext(studentKey));
    })();
    // Only what is committed: a key read inside a transaction is kept once it commits.
    if (Buffer.isBuffer(found)) {
      if (this.db.inTransaction) this.uncommittedDataKeys.push([studentKey, found]);
      else this.remember(studentKey, found);
    }
    return found;
  }

  /**
   * Data keys unwrapped lately, kept while nothing else wrote to the store: any commit by another
   * connection (another process's erasure, say) changes SQLite's data_version and empties the cache, and
   * this store's own erasures empty it too — so a destroyed key is never served from memory.
   */
  private readonly recentDataKeys = new Map<string, Buffer>();
  private recentDataVersion: number | undefined;

  /** SQLite's data_version as read in this turn of the event loop (read once a turn: a turn's reads see one store). */
  private versionThisTurn: number | undefined;

  private cachedDataKey(studentKey: string): Buffer | undefined {
    if (this.versionThisTurn === undefined) {
      this.versionThisTurn = this.db.pragma('data_version', { simple: true }) as number;
      setImmediate(() => (this.versionThisTurn = undefined));
    }
    const version = this.versionThisTurn;
    if (version !== this.recentDataVersion) {
      this.recentDataKeys.clear();
      this.recentDataVersion = version;
      return undefined;
    }
    return this.recentDataKeys.get(studentKey);
  }

  private remember(studentKey: string, dataKey: Buffer): void {
    // Emptied when full: dropping the oldest one by one costs a Map walk over the holes each deletion leaves.
    if (this.recentDataKeys.size >= RECENT_DATA_KEYS) this.recentDataKeys.clear();
    this.recentDataKeys.set(studentKey, dataKey);
  }

  /**
   * Destroys the student's data key — and with it every identifier the index holds for them — and
   * keeps a tombstone (the key and `at`, the first time only) so that the key is never made again.
   * True when key material was destroyed now; false when there was none (already destroyed, or never
   * made: the tombstone is written all the same). `scrubLater`: for many erasures in a row, the VACUUM
   * that follows each is left to `scrub()` after the last (marked pending meanwhile, so a crash leaves
   * it to the next open): one rewrite of the file instead of one per student.
   */
  destroy(studentKey: string, at: Date, options: { scrubLater?: boolean } = {}): boolean {
    assertStudentKey(studentKey);
    this.recentDataKeys.clear();
    const destroyed = this.transactionOf(() => this.destroyInTransaction(studentKey, at)).immediate();
    this.recentDataKeys.clear();
    if (!options.scrubLater) this.scrubIfPending();
    return destroyed;
  }

  /** Runs the VACUUM erasures left pending (destroy's `scrubLater`); nothing when none is. */
  scrub(): void {
    this.scrubIfPending();
  }

  /**
   * Destroys again every one of these keys that exists (at start, with the students the log says were
   * erased): a key store restored from a backup older than an erasure must not bring the key back.
   * One transaction; returns the keys whose material was destroyed now.
   */
  shredAll(studentKeys: Iterable<string>, at: Date = new Date()): string[] {
    const keys = [...studentKeys];
    keys.forEach((key) => assertStudentKey(key));
    this.recentDataKeys.clear();
    const destroyed = this.transactionOf(() => keys.filter((key) => this.destroyInTransaction(key, at))).immediate();
    this.recentDataKeys.clear();
    this.scrubIfPending();
    return destroyed;
  }

  /** Every tombstone, oldest first: the students whose data key was destroyed, and when. */
  destroyed(): Tombstone[] {
    return (this.statements.tombstones.all() as Array<{ student_key: string; erased_at: string }>).map((row) => ({ studentKey: row.student_key, at: new Date(row.erased_at) }));
  }

  /**
   * The blind index of an identifier: HMAC-SHA256 under this ledger's index key (base64url). The same
   * identifier gives the same value in this ledger, and none that can be checked without the key — an
   * unkeyed hash of an 18-digit resident ID is found by trying every region, birth date and sequence.
   * Pass identifiers in their canonical form (as the domain's parsers return them).
   */
  blindIndex(kind: IdentifierKind, value: string): string {
    if (!IDENTIFIER_KINDS.includes(kind)) throw new TypeError(`unknown identifier kind: ${String(kind)}`);
    if (typeof value !== 'string' || value === '') throw new TypeError(`a ${kind} to index is a non-empty string`);
    return createHmac('sha256', this.#indexKey).update(kind).update('\0').update(value, 'utf8').digest('base64url');
  }

  /**
   * Runs `work` — placements, keys — in one transaction of the store: one durable commit for all of
   * it (each call inside is a savepoint of it). For the writes many commands make at once.
   */
  inOneTransaction<T>(work: () => T): T {
    return this.transactionOf(work).immediate();
  }

  /**
   * A request's hash as the log keeps it (the write's idempotency check): keyed with the index key, so
   * that a hash over a body holding a resident ID cannot be brute-forced back to the ID from the log.
   */
  keyedRequestHash(requestHash: string): string {
    if (typeof requestHash !== 'string' || requestHash === '') throw new TypeError('a request hash is a non-empty string');
    return createHmac('sha256', this.#indexKey).update('request-hash').update('\0').update(requestHash, 'utf8').digest('hex');
  }

  close(): void {
    this.recentDataKeys.clear();
    if (this.db.open) this.db.close();
  }

  /** Inside a transaction: the key, or StudentDataErasedError, or undefined when there is none yet. */
  private dataKeyOrErased(studentKey: string): Buffer | undefined {
    const key = this.dataKeyOf(studentKey);
    if (key === 'destroyed') {
      const row = this.statements.tombstone.get(studentKey) as { erased_at: string };
      throw new StudentDataErasedError(studentKey, new Date(row.erased_at));
    }
    return key;
  }

  private destroyInTransaction(studentKey: string, at: Date): boolean {
    this.uncommittedDataKeys = this.uncommittedDataKeys.filter(([key]) => key !== studentKey);
    const destroyed = this.statements.deleteDataKey.run(studentKey).changes > 0;
    const unlinked = this.statements.deleteIdentities.run(studentKey).changes > 0;
    this.statements.insertTombstone.run(studentKey, at.toISOString());
    if (destroyed || unlinked) this.statements.markScrubPending.run();
    return destroyed;
  }

  /**
   * After an erasure: VACUUM rewrites the file from its live rows, so no stale copy of an erased row
   * is left in a page's free space (its rollback journal, which holds the old pages, is deleted when
   * it commits). The mark is written with the erasure and cleared after the VACUUM: one that did not
   * run (a crash; a reader holding the file longer than the busy timeout, which throws) runs on the
   * next erasure or open. Not inside a caller's transaction, where SQLite cannot VACUUM.
   */
  private scrubIfPending(): void {
    if (this.db.inTransaction || !this.statements.scrubPending.get()) return;
    this.db.exec('VACUUM');
    this.statements.clearScrubPending.run();
  }

  private unwrap(row: { kek_id: string; wrapped: Buffer }, context: string): Buffer {
    if (row.kek_id !== this.kek.id) {
      throw new KeyStoreKeyMismatchError(`${this.path}: its keys are wrapped by key-encryption key ${row.kek_id}, not by ${this.kek.id} (the key given)`);
    }
    return this.kek.unwrap(row.wrapped, context);
  }

  /** The blind-index key, made once per key store (two processes opening a new store at once agree on it). */
  private loadIndexKey(): Buffer {
    const read = () => this.statements.ledgerKey.get(INDEX_KEY) as { kek_id: string; wrapped: Buffer } | undefined;
    const row =
      read() ??
      this.transactionOf(() => {
          this.statements.insertLedgerKey.run(INDEX_KEY, this.kek.id, this.kek.wrap(randomBytes(DATA_KEY_BYTES), indexKeyContext));
          return read()!;
        })
        .immediate();
    return this.unwrap(row, indexKeyContext);
  }
}

function migrate(db: Database.Database, path: string): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw new Error(`${path}: key store schema version ${version} is newer than this ledger's (${SCHEMA_VERSION})`);
    if (version === SCHEMA_VERSION) return;
    db.exec(`
      CREATE TABLE ledger_keys (name TEXT PRIMARY KEY, kek_id TEXT NOT NULL, wrapped BLOB NOT NULL) WITHOUT ROWID;
      CREATE TABLE student_data_keys (student_key TEXT PRIMARY KEY, kek_id TEXT NOT NULL, wrapped BLOB NOT NULL) WITHOUT ROWID;
      CREATE TABLE erased_students (student_key TEXT PRIMARY KEY, erased_at TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE identity_index (blind TEXT PRIMARY KEY, kind TEXT NOT NULL, student_key TEXT NOT NULL, sealed TEXT NOT NULL) WITHOUT ROWID;
      CREATE INDEX identity_index_by_student ON identity_index (student_key);
      CREATE TABLE scrub_pending (pending INTEGER PRIMARY KEY CHECK (pending = 1));
      PRAGMA user_version = ${SCHEMA_VERSION};
    `);
  }).immediate();
}

function prepare(db: Database.Database) {
  return {
    ledgerKey: db.prepare('SELECT kek_id, wrapped FROM ledger_keys WHERE name = ?'),
    insertLedgerKey: db.prepare('INSERT INTO ledger_keys (name, kek_id, wrapped) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
    dataKey: db.prepare('SELECT kek_id, wrapped FROM student_data_keys WHERE student_key = ?'),
    insertDataKey: db.prepare('INSERT INTO student_data_keys (student_key, kek_id, wrapped) VALUES (?, ?, ?)'),
    deleteDataKey: db.prepare('DELETE FROM student_data_keys WHERE student_key = ?'),
    deleteIdentities: db.prepare('DELETE FROM identity_index WHERE student_key = ?'),
    tombstone: db.prepare('SELECT erased_at FROM erased_students WHERE student_key = ?'),
    tombstones: db.prepare('SELECT student_key, erased_at FROM erased_students ORDER BY erased_at, student_key'),
    scrubPending: db.prepare('SELECT pending FROM scrub_pending'),
    markScrubPending: db.prepare('INSERT INTO scrub_pending (pending) VALUES (1) ON CONFLICT DO NOTHING'),
    clearScrubPending: db.prepare('DELETE FROM scrub_pending'),
    insertTombstone: db.prepare('INSERT INTO erased_students (student_key, erased_at) VALUES (?, ?) ON CONFLICT DO NOTHING'),
  };
}

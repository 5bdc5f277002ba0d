import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  AppendResult,
  EventIdConflictError,
  EventStore,
  EventToAppend,
  ExpectedVersion,
  GlobalPosition,
  ReadAllOptions,
  StoreUnavailableError,
  StoredEvent,
  StreamAppend,
  SubscribeOptions,
  Subscription,
  SubscriptionHandler,
  WrongExpectedVersionError,
} from '../event-store.port';
import { PollingSubscription } from '../polling-subscription';
import { WalCheckpointer } from './wal-checkpointer';

// SQLite takes `file:` URIs (for `immutable=1`: openReadOnlyDatabase) only when told so before it starts, which
// better-sqlite3 reads from this variable when it loads. The paths given to it never start with `file:`.
process.env.SQLITE_USE_URI ??= '1';

/**
 * The embedded event store: one SQLite file, WAL, `synchronous=FULL`, so an acknowledged append
 * survives `kill -9` and power loss. Appends that arrive together share one transaction and one
 * fsync (group commit); each keeps its own savepoint, so one failing append fails alone.
 *
 * The `events` table is append-only: triggers in the database refuse UPDATE and DELETE, whoever
 * connects.
 */

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position       INTEGER PRIMARY KEY,
  event_id       TEXT    NOT NULL UNIQUE,
  stream_id      TEXT    NOT NULL,
  revision       INTEGER NOT NULL,
  type           TEXT    NOT NULL,
  schema_version INTEGER NOT NULL,
  data           TEXT    NOT NULL,
  metadata       TEXT    NOT NULL,
  recorded_at    TEXT    NOT NULL,
  UNIQUE (stream_id, revision)
) STRICT;
CREATE TRIGGER IF NOT EXISTS events_refuse_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only: UPDATE is refused'); END;
CREATE TRIGGER IF NOT EXISTS events_refuse_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only: DELETE is refused'); END;
`;

/**
 * An event row as read: an array in this column order. (A keyed object per row cost a third of
 * reading the log, which replays and catch-ups do by the million.)
 */
const EVENT_COLUMNS = 'position, event_id, stream_id, revision, type, schema_version, data, metadata, recorded_at';
type EventRow = [position: bigint, eventId: string, streamId: string, revision: bigint, type: string, schemaVersion: bigint, data: string, metadata: string, recordedAt: string];

/** The statements an append writes with, on the connection that writes it. */
type WriteStatements = {
  streamHead: Database.Statement<[string], { revision: bigint | null }>;
  byEventId: Database.Statement<[string], EventRow>;
  insert: Database.Statement<unknown[]>;
};

function prepareWriteStatements(db: Database.Database): WriteStatements {
  return {
    streamHead: db.prepare<[string], { revision: bigint | null }>('SELECT MAX(revision) AS revision FROM events WHERE stream_id = ?').safeIntegers(true),
    byEventId: db.prepare<[string], EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE event_id = ?`).safeIntegers(true).raw(true),
    insert: db.prepare(
      `INSERT INTO events (event_id, stream_id, revision, type, schema_version, data, metadata, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
  };
}

/** How long an atomic batch writes before it lets the event loop run (requests, /health, the read models). */
const BATCH_SLICE_MS = 10;

interface PendingAppend {
  streamId: string;
  events: EventToAppend[];
  expectedVersion: ExpectedVersion;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

export interface SqliteEventStoreOptions {
  /** Path of the database file; its directory is created when missing. */
  path: string;
  /** Clock for `recordedAt`; injectable for tests. */
  now?: () => Date;
  /** How often a live subscription looks for events written by other processes (ms). */
  pollIntervalMs?: number;
  /** Checkpoint the WAL from a worker thread rather than in the commits (default: yes, for a file). */
  backgroundCheckpoints?: boolean;
  /** Open an existing file read-only, for readers (the CLI's audit commands): appends fail, nothing is created. */
  readonly?: boolean;
}

/**
 * Makes the database file (and its directory) before SQLite does, readable and writable by its owner
 * alone (0600): SQLite gives its WAL and journal files the database file's mode. A ledger's files hold
 * what a student's aid was, under pseudonyms; no other local user needs them.
 */
export function makeOwnerOnlyFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
}

/** Applies the durability settings; better-sqlite3 12 reopens a WAL file at NORMAL, so always. */
export function openDurableDatabase(path: string, options: { readonly?: boolean } = {}): Database.Database {
  if (!options.readonly && path !== ':memory:') makeOwnerOnlyFile(path);
  const db = options.readonly ? openReadOnlyDatabase(path) : new Database(path);
  db.pragma('busy_timeout = 10000');
  if (!options.readonly) db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return db;
}

const walIndexUnavailable = (error: unknown) => /^SQLITE_(CANTOPEN|READONLY)/.test((error as { code?: string }).code ?? '');
const sizeOf = (path: string) => (existsSync(path) ? statSync(path).size : 0);

/**
 * An existing database opened read-only, for readers (the CLI's read-only commands), in a directory
 * it may not write to too (a read-only mount). SQLite reads a WAL database through its `-shm` index
 * beside it, which it makes when missing — not in such a directory. With no index and no
 * write-ahead content, everything is in the file and no writer has it open (a writer keeps the
 * index beside it): the file is read as it is (`immutable=1`). With write-ahead content but no index,
 * it cannot be read there: one line says why and what to do.
 */
export function openReadOnlyDatabase(path: string): Database.Database {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.prepare('SELECT COUNT(*) FROM sqlite_master').get(); // the first read opens the write-ahead log and its index
    return db;
  } catch (error) {
    db.close();
    if (!walIndexUnavailable(error)) throw error;
    const hasIndex = existsSync(`${path}-shm`);
    const pending = sizeOf(`${path}-wal`);
    if (!hasIndex && pending === 0) {
      const uri = `file:${path.replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}?immutable=1`;
      const immutable = new Database(uri, { readonly: true, fileMustExist: true });
      immutable.prepare('SELECT COUNT(*) FROM sqlite_master').get();
      return immutable;
    }
    if (!hasIndex) {
      throw new Error(
        `cannot read ${path} in a read-only directory: its write-ahead log ${path}-wal holds changes (${pending} bytes) not yet in the file, and SQLite cannot make ` +
          `the ${path}-shm index it needs to read them there: copy the data directory somewhere writable (cp -a) and set LEDGER_DATA_DIR to the copy, ` +
          'or make the directory read-only only once the service has stopped cleanly (it folds the log into the file)',
      );
    }
    throw new Error(`cannot read ${path} read-only: ${(error as Error).message}`);
  }
}

export class SqliteEventStore implements EventStore {
  /** `position` is the INTEGER PRIMARY KEY: an insert takes the highest plus one (one rolled back takes none), and no row is ever deleted. */
  readonly consecutivePositions = true;
  private readonly db: Database.Database;
  private readonly now: () => Date;
  private readonly appended = new EventEmitter();
  private readonly pollIntervalMs: number;
  private pending: PendingAppend[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly subscriptions = new Set<PollingSubscription>();
  private readonly checkpointer: WalCheckpointer | undefined;
  private readonly path: string;
  /** The atomic batches, one after the other; while one is written, the group commit waits. */
  private atomicBatches: Promise<unknown> = Promise.resolve();
  private atomicBatchOpen = false;

  private readonly statements: WriteStatements & {
    readStream: Database.Statement<[string, number], EventRow>;
    readAll: Database.Statement<[bigint, number], EventRow>;
    head: Database.Statement<[], { position: bigint | null }>;
  };

  constructor(options: SqliteEventStoreOptions) {
    this.path = options.path;
    this.db = openDurableDatabase(options.path, { readonly: options.readonly });
    if (!options.readonly) this.db.exec(SCHEMA);
    if ((options.backgroundCheckpoints ?? true) && !options.readonly && options.path !== ':memory:') this.checkpointer = WalCheckpointer.for(this.db, options.path);
    this.now = options.now ?? (() => new Date());
    this.pollIntervalMs = options.pollIntervalMs ?? 200;
    this.appended.setMaxListeners(0);
    const prepare = <P extends unknown[], R>(sql: string) => this.db.prepare<P, R>(sql).safeIntegers(true);
    const prepareRows = <P extends unknown[]>(sql: string) => this.db.prepare<P, EventRow>(sql).safeIntegers(true).raw(true);
    this.statements = {
      ...prepareWriteStatements(this.db),
      readStream: prepareRows(`SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision`),
      readAll: prepareRows(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`),
      head: prepare('SELECT MAX(position) AS position FROM events'),
    };
  }

  /**
   * A consistent copy of the whole log into `path` (in an existing directory), taken online (SQLite's
   * backup API) while appends go on: it holds every append committed before the copy began.
   */
  async backup(path: string): Promise<void> {
    makeOwnerOnlyFile(path); // the copy is as private as the log
    await this.db.backup(path);
  }

  /** The underlying connection's durability setting (2 = FULL), for tests and health checks. */
  synchronousLevel(): number {
    return Number(this.db.pragma('synchronous', { simple: true }));
  }

  appendToStream(streamId: string, events: EventToAppend[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('the event store is closed'));
    if (events.length === 0) return Promise.reject(new Error('nothing to append'));
    return new Promise<AppendResult>((resolve, reject) => {
      this.pending.push({ streamId, events, expectedVersion, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * All the appends in one transaction: every one of them is written, or none (the first failure is
   * thrown). A large batch (an import of 300,000 rows) is written in slices across turns of the event
   * loop, so that the service keeps answering; it is written on a connection of its own, so that the
   * log's readers (the read models, /health, commands) see none of it until it commits. Other appends
   * wait their turn meanwhile, and commit right after it.
   */
  async appendAtomically(appends: StreamAppend[]): Promise<AppendResult[]> {
    const results: AppendResult[] = [];
    await this.queueBatch([appends], (result) => results.push(result));
    return results;
  }

  /** {@link appendAtomically} with the appends in parts, each written as it comes (and then let go of). */
  async appendAtomicallyInParts(parts: AsyncIterable<StreamAppend[]>): Promise<{ events: number }> {
    let events = 0;
    await this.queueBatch(parts, (result) => (events += result.alreadyAppended ? 0 : result.events.length));
    return { events };
  }

  /** One atomic batch after the other. */
  private queueBatch(parts: AsyncIterable<StreamAppend[]> | Iterable<StreamAppend[]>, onAppended: (result: AppendResult) => void): Promise<void> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('the event store is closed'));
    const batch = this.atomicBatches.then(() => this.writeBatch(parts, onAppended));
    this.atomicBatches = batch.catch(() => undefined);
    return batch;
  }

  private async writeBatch(parts: AsyncIterable<StreamAppend[]> | Iterable<StreamAppend[]>, onAppended: (result: AppendResult) => void): Promise<void> {
    if (this.closed) throw new StoreUnavailableError('the event store is closed');
    // An in-memory database has no second connection: all the parts, then one synchronous transaction.
    const inMemory = this.path === ':memory:';
    const connection = inMemory ? this.db : this.openBatchConnection();
    const writer = inMemory ? this.statements : prepareWriteStatements(connection);
    const written: AppendResult[] = [];
    let last: GlobalPosition = 0n;
    this.atomicBatchOpen = !inMemory;
    try {
      const all: StreamAppend[][] = [];
      if (inMemory) for await (const part of parts) all.push(part);
      const recordedAt = this.now().toISOString();
      let sliceStarted = performance.now();
      const write = (append: StreamAppend) => {
        const result = this.storeFailure(() => this.appendInTransaction(append, recordedAt, writer));
        written.push(result);
        const end = result.events[result.events.length - 1]?.position ?? 0n;
        if (end > last) last = end;
      };
      this.storeFailure(() => connection.exec('BEGIN IMMEDIATE'));
      try {
        if (inMemory) for (const part of all) part.forEach(write);
        else {
          // The parts' own work (building, hashing them) runs between the writes, inside the transaction.
          for await (const part of parts) {
            for (const append of part) {
              write(append);
              if (performance.now() - sliceStarted >= BATCH_SLICE_MS) {
                await nextTurn();
                sliceStarted = performance.now();
              }
            }
            for (const result of written) onAppended(result);
            written.length = 0;
          }
        }
        for (const result of written) onAppended(result);
        this.storeFailure(() => connection.exec('COMMIT'));
      } catch (error) {
        if (connection.inTransaction) connection.exec('ROLLBACK');
        throw error;
      }
    } finally {
      if (!inMemory) connection.close();
      this.atomicBatchOpen = false;
      // The appends that waited for the batch.
      if (this.pending.length > 0 && !this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    }
    if (last > 0n) this.appended.emit('appended', last);
  }

  /** A write's failure other than a conflict is the store failing (disk full, I/O): nothing of the batch is kept. */
  private storeFailure<T>(write: () => T): T {
    try {
      return write();
    } catch (error) {
      if (error instanceof WrongExpectedVersionError || error instanceof EventIdConflictError) throw error;
      throw new StoreUnavailableError(`the event log could not be written: ${(error as Error).message}`, error);
    }
  }

  /** A connection for one atomic batch, as durable as the main one; its checkpoints are left to the checkpointer. */
  private openBatchConnection(): Database.Database {
    const connection = openDurableDatabase(this.path);
    // A batch's commit must not run a checkpoint of its hundreds of megabytes on the event loop: the
    // checkpointer (or the main connection's setting, without one) takes care of the WAL.
    connection.pragma(`wal_autocheckpoint = ${this.checkpointer ? 0 : Number(this.db.pragma('wal_autocheckpoint', { simple: true }))}`);
    connection.pragma(`journal_size_limit = ${Number(this.db.pragma('journal_size_limit', { simple: true }))}`);
    return connection;
  }

  /** Commits every append queued since the last flush in one transaction (one fsync). */
  private flush(): void {
    this.flushScheduled = false;
    // An atomic batch is being written on its own connection: these wait for it (it flushes them when done).
    if (this.atomicBatchOpen || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const outcomes: Array<{ ok: true; result: AppendResult } | { ok: false; error: unknown }> = [];
    const recordedAt = this.now().toISOString();
    const appendOne = this.db.transaction((item: PendingAppend) => this.appendInTransaction(item, recordedAt));
    const appendAll = this.db.transaction(() => {
      for (const item of batch) {
        try {
          outcomes.push({ ok: true, result: appendOne(item) });
        } catch (error) {
          // A version or id conflict fails its own append; anything else is the store failing (disk full, I/O).
          const own = error instanceof WrongExpectedVersionError || error instanceof EventIdConflictError;
          outcomes.push({ ok: false, error: own ? error : new StoreUnavailableError(`the event log could not be written: ${(error as Error).message}`, error) });
        }
      }
    });
    try {
      appendAll.immediate();
    } catch (error) {
      // The whole batch rolled back (SQLite aborts the transaction on a full disk): nothing is acknowledged.
      const cause = outcomes.find((outcome) => !outcome.ok && outcome.error instanceof StoreUnavailableError);
      const failure = cause && !cause.ok ? cause.error : new StoreUnavailableError(`the event log could not be written: ${(error as Error).message}`, error);
      for (const item of batch) item.reject(failure);
      return;
    }
    let last: GlobalPosition = 0n;
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) {
        item.resolve(outcome.result);
        const position = outcome.result.events[outcome.result.events.length - 1].position;
        if (position > last) last = position;
      } else item.reject(outcome.error);
    });
    if (last > 0n) this.appended.emit('appended', last);
  }

  private appendInTransaction({ streamId, events, expectedVersion }: StreamAppend, recordedAt: string, writer: WriteStatements = this.statements): AppendResult {
    if (expectedVersion === 'no_stream') {
      // A new stream (most of an import) needs no head lookup: the UNIQUE (stream_id, revision) index
      // refuses revision 0 of a stream that exists, and then the general path below answers.
      const stored = this.insertNewStream(streamId, events, recordedAt, writer);
      if (stored) return { nextExpectedVersion: events.length - 1, events: stored, alreadyAppended: false };
    }
    const head = writer.streamHead.get(streamId)?.revision;
    const current = head === null || head === undefined ? -1 : Number(head);
    // A repeat can only be of events already in this stream; for a new stream the UNIQUE index on
    // event ids catches an id used elsewhere (below), without a lookup per event.
    if (current >= 0) {
      const repeat = this.findRepeat(streamId, events, writer);
      if (repeat) return repeat;
    }
    const matches =
      expectedVersion === 'any' ||
      (expectedVersion === 'no_stream' ? current === -1 : expectedVersion === current);
    if (!matches) throw new WrongExpectedVersionError(streamId, expectedVersion, current === -1 ? 'no_stream' : current);
    return { nextExpectedVersion: current + events.length, events: this.insertEvents(streamId, events, current + 1, recordedAt, writer), alreadyAppended: false };
  }

  /**
   * The events of a stream that did not exist, inserted; undefined (nothing inserted) when revision 0
   * or the first event id is taken — a repeat, a version conflict or an id used elsewhere, which
   * the general path tells apart.
   */
  private insertNewStream(streamId: string, events: EventToAppend[], recordedAt: string, writer: WriteStatements): StoredEvent[] | undefined {
    let first: StoredEvent[];
    try {
      first = this.insertEvents(streamId, events.slice(0, 1), 0, recordedAt, writer);
    } catch (error) {
      const taken =
        error instanceof EventIdConflictError ||
        ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && /events\.stream_id/.test((error as Error).message));
      if (taken) return undefined;
      throw error;
    }
    return events.length === 1 ? first : first.concat(this.insertEvents(streamId, events.slice(1), 1, recordedAt, writer));
  }

  /** Inserts the events from `firstRevision` on; an event id already in the log (in another stream) is an EventIdConflictError. */
  private insertEvents(streamId: string, events: EventToAppend[], firstRevision: number, recordedAt: string, writer: WriteStatements): StoredEvent[] {
    const stored: StoredEvent[] = [];
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      const revision = firstRevision + i;
      let info: Database.RunResult;
      try {
        info = writer.insert.run(event.eventId, streamId, revision, event.type, event.schemaVersion, JSON.stringify(event.data), JSON.stringify(event.metadata), recordedAt);
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && /events\.event_id/.test((error as Error).message)) {
          throw new EventIdConflictError(event.eventId, 'is already used in another stream');
        }
        throw error;
      }
      stored.push({ eventId: event.eventId, streamId, revision, position: BigInt(info.lastInsertRowid), type: event.type, schemaVersion: event.schemaVersion, data: event.data, metadata: event.metadata, recordedAt });
    }
    return stored;
  }

  /**
   * Idempotency by event id: when the events are already this stream's, answer as the first
   * append did; an id already used elsewhere or with other content is a conflict.
   */
  private findRepeat(streamId: string, events: EventToAppend[], writer: WriteStatements): AppendResult | undefined {
    const found = events.map((event) => writer.byEventId.get(event.eventId));
    if (found.every((row) => row === undefined)) return undefined;
    const stored: StoredEvent[] = [];
    found.forEach((row, i) => {
      const event = events[i];
      if (!row) throw new EventIdConflictError(event.eventId, 'is new but others of the same append are already stored');
      const [, , storedStreamId, , type, , data] = row;
      if (storedStreamId !== streamId) throw new EventIdConflictError(event.eventId, `is already used in another stream`);
      if (type !== event.type || data !== JSON.stringify(event.data)) {
        throw new EventIdConflictError(event.eventId, 'is already stored with other content');
      }
      stored.push(toStoredEvent(row));
    });
    const head = writer.streamHead.get(streamId)?.revision;
    return { nextExpectedVersion: Number(head), events: stored, alreadyAppended: true };
  }

  async readStream(streamId: string, options: { fromRevision?: number } = {}): Promise<StoredEvent[]> {
    return this.statements.readStream.all(streamId, options.fromRevision ?? 0).map(toStoredEvent);
  }

  async readAll({ after = 0n, maxCount }: ReadAllOptions): Promise<StoredEvent[]> {
    return this.statements.readAll.all(after, maxCount).map(toStoredEvent);
  }

  async headPosition(): Promise<GlobalPosition> {
    return this.statements.head.get()?.position ?? 0n;
  }

  subscribeToAll(handler: SubscriptionHandler, options: SubscribeOptions = {}): Subscription {
    const subscription = new PollingSubscription(this, handler, {
      after: options.after ?? 0n,
      batchSize: options.batchSize ?? 1000,
      pollIntervalMs: this.pollIntervalMs,
      notifier: this.appended,
    });
    this.subscriptions.add(subscription);
    subscription.done.finally(() => this.subscriptions.delete(subscription)).catch(() => undefined);
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    // A batch being written commits (or fails) first; appends already queued still commit before the connection closes.
    await this.atomicBatches;
    if (this.pending.length > 0) this.flush();
    await this.checkpointer?.stop();
    this.db.close();
  }
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    eventId: row[1],
    streamId: row[2],
    revision: Number(row[3]),
    position: row[0],
    type: row[4],
    schemaVersion: Number(row[5]),
    data: JSON.parse(row[6]),
    metadata: JSON.parse(row[7]),
    recordedAt: row[8],
  };
}

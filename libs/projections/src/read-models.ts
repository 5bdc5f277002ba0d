import Database from 'better-sqlite3';
import { EventStore, GlobalPosition, StoredEvent, Subscription, WalCheckpointer, makeOwnerOnlyFile, readAllPages } from '@ledger/event-store';
import { Projection, aidEventOf } from './projection';

/**
 * The read-model database: a local SQLite file holding every projection's tables and its
 * checkpoint. Each page of events is applied in one transaction together with the checkpoints,
 * so after a crash the projections resume exactly where their rows stop.
 *
 * The file is derived data: deleting it rebuilds everything from the log at the next start.
 * (It is opened with synchronous=NORMAL: a power cut may lose the last pages, never half of one.)
 */
export class ReadModels {
  readonly db: Database.Database;
  private readonly checkpoints = new Map<string, GlobalPosition>();
  private appliers: Array<{ projection: Projection; apply: (stored: StoredEvent) => void }>;
  private readonly pageListeners: Array<(events: StoredEvent[], after: GlobalPosition) => void> = [];
  private refusal: string | undefined;
  private readonly saveCheckpoint: Database.Statement;
  private subscription: Subscription | undefined;
  private position: GlobalPosition;
  private waiters: Array<{ target: GlobalPosition; resolve: () => void; reject: (error: Error) => void }> = [];
  private failed: Error | undefined;
  private readonly checkpointer: WalCheckpointer | undefined;

  constructor(
    path: string,
    readonly projections: readonly Projection[],
    options: { scratch?: boolean } = {},
  ) {
    if (path !== ':memory:') makeOwnerOnlyFile(path);
    this.db = new Database(path);
    if (options.scratch) {
      // A replay's throw-away file: no journal, no syncing, a large page cache.
      // 16 KiB pages: a shallower tree of per-student lines, fewer pages rewritten per transaction.
      this.db.pragma('page_size = 16384');
      this.db.pragma('journal_mode = OFF');
      this.db.pragma('synchronous = OFF');
      this.db.pragma('cache_size = -262144');
    } else {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      // Checkpoints (with their fsync) from a worker thread, not inside the pages applied on the event loop.
      if (path !== ':memory:') this.checkpointer = WalCheckpointer.for(this.db, path);
    }
    this.db.pragma('busy_timeout = 10000');
    // Positions are kept as decimal strings: an EventStoreDB position is an unsigned 64-bit number.
    this.db.exec(`CREATE TABLE IF NOT EXISTS checkpoints (
      name TEXT PRIMARY KEY, version INTEGER NOT NULL, position TEXT NOT NULL) STRICT`);
    const stored = new Map(
      this.db
        .prepare<[], { name: string; version: number; position: string }>('SELECT name, version, position FROM checkpoints')
        .all()
        .map((row) => [row.name, { ...row, position: BigInt(row.position) }] as const),
    );
    this.saveCheckpoint = this.db.prepare(
      'INSERT INTO checkpoints (name, version, position) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET version = excluded.version, position = excluded.position',
    );
    for (const projection of projections) {
      const row = stored.get(projection.name);
      if (!row || Number(row.version) !== projection.version) this.reset(projection);
      else this.checkpoints.set(projection.name, row.position);
      this.db.exec(projection.schema);
      if (!options.scratch && projection.indexes) this.db.exec(projection.indexes);
    }
    this.appliers = projections.map((projection) => ({ projection, apply: applierOf(projection, this.db) }));
    this.position = this.lowestCheckpoint();
  }

  /** Drops a projection's rows and checkpoint so that it re-projects from the start of the log. */
  private reset(projection: Projection): void {
    this.db.transaction(() => {
      for (const table of projection.tables) this.db.exec(`DROP TABLE IF EXISTS ${table}`);
      this.saveCheckpoint.run(projection.name, projection.version, '0');
    })();
    this.checkpoints.set(projection.name, 0n);
  }

  /**
   * Why these read models cannot go on from their checkpoints on this log, if so: a checkpoint
   * beyond the log's head (events were removed from the log, or it was replaced by an older copy),
   * or rows of a read model of the log that disagree with it (each such projection's own cheap check).
   */
  async disagreementWith(store: EventStore): Promise<string | undefined> {
    const head = await store.headPosition();
    for (const [name, position] of this.checkpoints) {
      if (position > head) return `projection ${name} is at position ${position}, beyond the end of the log at ${head}: events were removed from the log, or it was replaced by an older copy`;
    }
    for (const projection of this.projections) {
      const reason = await projection.disagreementWith?.(this.db, store, this.checkpoints.get(projection.name) ?? 0n);
      if (reason) return `${projection.name}: ${reason}`;
    }
    return undefined;
  }

  /**
   * Refuses these read models (before they are served): drops every projection's rows, keeping what
   * a projection keeps as evidence, so that all are projected again from the start of the log.
   */
  refuse(reason: string): void {
    this.db.transaction(() => {
      for (const projection of this.projections) projection.keepAsEvidence?.(this.db, reason);
    })();
    for (const projection of this.projections) {
      this.reset(projection);
      this.db.exec(projection.schema);
      if (projection.indexes) this.db.exec(projection.indexes);
    }
    this.appliers = this.projections.map((projection) => ({ projection, apply: applierOf(projection, this.db) }));
    this.position = this.lowestCheckpoint();
    this.refusal = reason;
  }

  /** Why the read models found at start were refused (and rebuilt), if they were. */
  get refusedAtStart(): string | undefined {
    return this.refusal;
  }

  private lowestCheckpoint(): GlobalPosition {
    let lowest: GlobalPosition | undefined;
    for (const position of this.checkpoints.values()) if (lowest === undefined || position < lowest) lowest = position;
    return lowest ?? 0n;
  }

  /** Why the projections stopped following the log, if they did (a projection threw). */
  get failure(): Error | undefined {
    return this.failed;
  }

  /** Where each projection stands in the log. */
  get checkpointsByProjection(): ReadonlyMap<string, GlobalPosition> {
    return new Map(this.checkpoints);
  }

  /** Where the slowest projection stands in the log. */
  get checkpoint(): GlobalPosition {
    return this.position;
  }

  /** Applies one page of the log, in order, to every projection that has not seen it. */
  readonly applyPage = (events: StoredEvent[]): void => {
    if (events.length === 0) return;
    const before = this.position;
    this.db.transaction(() => {
      for (const { projection, apply } of this.appliers) {
        const checkpoint = this.checkpoints.get(projection.name) ?? 0n;
        for (const stored of events) if (stored.position > checkpoint) apply(stored);
      }
      const last = events[events.length - 1].position;
      for (const { projection } of this.appliers) {
        if ((this.checkpoints.get(projection.name) ?? 0n) < last) this.saveCheckpoint.run(projection.name, projection.version, last.toString());
      }
    })();
    const last = events[events.length - 1].position;
    for (const { projection } of this.appliers) {
      if ((this.checkpoints.get(projection.name) ?? 0n) < last) this.checkpoints.set(projection.name, last);
    }
    this.position = this.lowestCheckpoint();
    this.waiters = this.waiters.filter((waiter) => {
      if (this.position < waiter.target) return true;
      waiter.resolve();
      return false;
    });
    for (const listener of this.pageListeners) listener(events, before);
  };

  /** Calls `listener` with every page of events once applied, and where the read models stood before it. */
  onPageApplied(listener: (events: StoredEvent[], after: GlobalPosition) => void): void {
    this.pageListeners.push(listener);
  }

  /** Catches up from the checkpoint and keeps following the log. */
  start(store: EventStore, onFailure?: (error: Error) => void): void {
    if (this.subscription) return;
    // Pages of 500: catching up on a 300,000-event import, the event loop is free every few dozen ms.
    this.subscription = store.subscribeToAll(this.applyPage, { after: this.position, batchSize: 500 });
    this.subscription.done.catch((error: Error) => {
      this.failed = error;
      onFailure?.(error);
      for (const waiter of this.waiters) waiter.reject(error);
      this.waiters = [];
    });
  }

  /** Resolves once every projection has applied the log up to `target` (or rejects after `timeoutMs`). */
  waitFor(target: GlobalPosition, timeoutMs = 5000): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.position >= target) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter.resolve !== done);
        reject(new Error(`read models did not reach position ${target} within ${timeoutMs} ms (at ${this.position})`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ target, resolve: done, reject: (error) => (clearTimeout(timer), reject(error)) });
    });
  }

  /** Projects the whole log synchronously page by page (no subscription): for rebuilds and tools. */
  async catchUpFrom(store: EventStore, pageSize = 5000): Promise<void> {
    for await (const page of readAllPages(store, this.position, pageSize)) this.applyPage(page);
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  async close(): Promise<void> {
    await this.stop();
    await this.checkpointer?.stop();
    this.db.close();
  }
}

function applierOf(projection: Projection, db: Database.Database): (stored: StoredEvent) => void {
  if (projection.prepareForEveryEvent) return projection.prepareForEveryEvent(db);
  const apply = projection.prepare!(db);
  return (stored) => {
    const event = aidEventOf(stored);
    if (event) apply(event, stored);
  };
}

/** Builds the read models from scratch into a new file, from the whole log. */
export async function rebuildReadModels(store: EventStore, path: string, projections: readonly Projection[]): Promise<ReadModels> {
  const models = new ReadModels(path, projections);
  await models.catchUpFrom(store);
  return models;
}

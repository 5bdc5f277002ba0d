/**
 * The one port every event store adapter implements (embedded SQLite, EventStoreDB). It knows
 * streams of opaque events with metadata, nothing about aid. Contract tests in
 * `test/event-store.contract.ts` hold every adapter to the same behaviour.
 */

/** Position of an event in the global log: increasing, not necessarily contiguous. */
export type GlobalPosition = bigint;

/** Revision of an event within its stream: 0 for the first event. */
export type StreamRevision = number;

/**
 * What the caller believes about the stream before appending:
 * `no_stream` (must not exist yet), a revision (its last event must be exactly that one),
 * or `any` (no check; idempotency by event id is then best-effort on EventStoreDB).
 */
export type ExpectedVersion = 'no_stream' | 'any' | StreamRevision;

/** Who did it, when, why (docs/architecture.md#events-and-their-metadata). Adapters store it as given. */
export interface EventMetadata {
  actor?: { id: string; role: string };
  correlationId?: string;
  causationId?: string;
  idempotencyKey?: string;
  /** Hash of the request that caused the event, to refuse a reused idempotency key. */
  requestHash?: string;
  importBatch?: string;
  [key: string]: unknown;
}

export interface EventToAppend {
  /** Chosen by the writer (a UUID); appending the same id again is a no-op, not a duplicate. */
  eventId: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: EventMetadata;
}

export interface StoredEvent {
  eventId: string;
  streamId: string;
  revision: StreamRevision;
  position: GlobalPosition;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: EventMetadata;
  /** When the store committed it (ISO 8601, UTC). */
  recordedAt: string;
}

export interface AppendResult {
  /** Revision of the stream's last event after the append. */
  nextExpectedVersion: StreamRevision;
  /** The appended (or, for a repeat, the previously appended) events, as stored. */
  events: StoredEvent[];
  /** True when every event id was already in the stream: nothing new was written. */
  alreadyAppended: boolean;
}

export interface ReadAllOptions {
  /** Exclusive: read events after this position; 0n or omitted for the beginning. */
  after?: GlobalPosition;
  maxCount: number;
}

export interface SubscriptionHandler {
  /** Called with consecutive pages of the log, in order. A throw stops the subscription. */
  (events: StoredEvent[]): Promise<void> | void;
}

export interface Subscription {
  /** Resolves when the subscription has read everything written before it was called. */
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves when the subscription stops; rejects with the handler's error if it failed. */
  readonly done: Promise<void>;
}

export interface SubscribeOptions {
  after?: GlobalPosition;
  batchSize?: number;
}

export interface EventStore {
  /**
   * True when the log's positions are 1, 2, 3, … with no gap, ever (the embedded SQLite store: an
   * INTEGER PRIMARY KEY that nothing deletes): a missing position is then an event removed behind the
   * store's back. EventStoreDB's positions grow but skip (they are byte offsets): false.
   */
  readonly consecutivePositions: boolean;
  appendToStream(streamId: string, events: EventToAppend[], expectedVersion: ExpectedVersion): Promise<AppendResult>;
  /** Events of a stream in order (from a revision on); an empty array for a stream that does not exist. */
  readStream(streamId: string, options?: { fromRevision?: StreamRevision }): Promise<StoredEvent[]>;
  /** One page of the global log, in order. */
  readAll(options: ReadAllOptions): Promise<StoredEvent[]>;
  /** Position of the last event in the log, 0n when empty. */
  headPosition(): Promise<GlobalPosition>;
  /** Catch-up subscription to the global log that turns live once it reaches the head. */
  subscribeToAll(handler: SubscriptionHandler, options?: SubscribeOptions): Subscription;
  /**
   * Appends to several streams at once, all or nothing (each with its expected version). Only
   * stores that can do it atomically offer it: the embedded SQLite store does; EventStoreDB cannot.
   */
  appendAtomically?(appends: StreamAppend[]): Promise<AppendResult[]>;
  /**
   * {@link appendAtomically} for a batch too large to hold twice in memory (an import): the appends
   * come in parts, are written as they come and become visible together once the last part is
   * written; a failure, or parts that throw, leave nothing. A stream is in one part only. Resolves
   * with the number of events written.
   */
  appendAtomicallyInParts?(parts: AsyncIterable<StreamAppend[]>): Promise<{ events: number }>;
  close(): Promise<void>;
}

export interface StreamAppend {
  streamId: string;
  events: EventToAppend[];
  expectedVersion: ExpectedVersion;
}

export class WrongExpectedVersionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: StreamRevision | 'no_stream',
  ) {
    super(`stream ${streamId}: expected version ${expected}, actual ${actual}`);
    this.name = 'WrongExpectedVersionError';
  }
}

/** An event id that is already in the log with other content or in another stream. */
export class EventIdConflictError extends Error {
  constructor(readonly eventId: string, detail: string) {
    super(`event ${eventId} ${detail}`);
    this.name = 'EventIdConflictError';
  }
}

/** The store cannot take writes now (disk full, read-only, closed): retry later, nothing was written. */
export class StoreUnavailableError extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

/** Every event of the log from `after` on, page by page, with flat memory. */
export async function* readAllPages(store: EventStore, after: GlobalPosition = 0n, pageSize = 1000): AsyncGenerator<StoredEvent[]> {
  let position = after;
  for (;;) {
    const page = await store.readAll({ after: position, maxCount: pageSize });
    if (page.length === 0) return;
    yield page;
    position = page[page.length - 1].position;
  }
}

/**
 * When the event was first recorded: for an event a migration copied from another log, when that
 * log recorded it (`metadata.migratedFrom.recordedAt`); else when this store committed it.
 */
export function firstRecordedAt(event: Pick<StoredEvent, 'recordedAt' | 'metadata'>): string {
  const migratedFrom = event.metadata.migratedFrom as { recordedAt?: unknown } | undefined;
  return typeof migratedFrom?.recordedAt === 'string' ? migratedFrom.recordedAt : event.recordedAt;
}

import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  ResolvedEvent,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError as EsdbWrongExpectedVersionError,
  jsonEvent,
} from '@eventstore/db-client';
import {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedVersion,
  GlobalPosition,
  ReadAllOptions,
  StoreUnavailableError,
  StoredEvent,
  SubscribeOptions,
  Subscription,
  SubscriptionHandler,
  WrongExpectedVersionError,
} from '../event-store.port';

/**
 * The event-store port on EventStoreDB / KurrentDB, through `@eventstore/db-client` 6.2: the
 * production store, from a single node to a 3-node cluster (the connection string decides).
 *
 * - Positions: for events written over gRPC (no legacy TCP transactions) the server gives every
 *   event its own commit position, equal to its prepare position; the port's global position is
 *   that commit position, and `{commit, prepare: commit}` is handed back to the server. Readers
 *   store it as a decimal string.
 * - Idempotency by event id is guaranteed by the server for an exact revision or `no_stream` (what
 *   the ledger's commands use); for `any` it is best-effort. A repeat comes back without a position.
 * - Only ledger events are read: system streams and `$`-types are skipped.
 * - The ledger never deletes, truncates or tombstones a stream; this adapter has no call that could.
 * - Needs a server that reports `$all` positions on stream reads (EventStoreDB 22.6 or later).
 */

const SCHEMA_VERSION_KEY = '$schemaVersion';

export interface EventStoreDbOptions {
  /**
   * Prefix of every stream this ledger writes and reads (default none). Events of other streams are
   * not this ledger's: reads and subscriptions skip them. Lets tests share one real server.
   */
  streamPrefix?: string;
  /** First and longest pause before a dropped subscription resubscribes (ms). */
  resubscribe?: { initialDelayMs: number; maxDelayMs: number };
}

const isLedgerEvent = (resolved: ResolvedEvent, prefix = '') =>
  resolved.event !== undefined &&
  !resolved.event.type.startsWith('$') &&
  !resolved.event.streamId.startsWith('$') &&
  resolved.event.streamId.startsWith(prefix);

function toStoredEvent(resolved: ResolvedEvent, prefix = ''): StoredEvent {
  const event = resolved.event!;
  const { [SCHEMA_VERSION_KEY]: schemaVersion, ...metadata } = (event.metadata ?? {}) as Record<string, unknown>;
  const position = event.position?.commit ?? resolved.commitPosition;
  if (position === undefined) throw new Error(`event ${event.id} came without an $all position: the server is too old for this adapter`);
  return {
    eventId: event.id,
    streamId: event.streamId.slice(prefix.length),
    revision: Number(event.revision),
    position,
    type: event.type,
    schemaVersion: typeof schemaVersion === 'number' ? schemaVersion : 1,
    data: event.data,
    metadata,
    recordedAt: event.created.toISOString(),
  };
}

/** Connection failures become StoreUnavailableError (a 503): nothing was written, retry later. */
function unavailable(error: unknown): never {
  if (error instanceof StoreUnavailableError) throw error;
  const type = (error as { type?: string })?.type ?? '';
  if (/unavailable|deadline|cancelled|not[-_]leader|not[-_]found[-_]node|connection|ECONNREFUSED/i.test(`${type} ${(error as Error)?.message}`)) {
    throw new StoreUnavailableError(`EventStoreDB cannot be reached: ${(error as Error).message}`, error);
  }
  throw error;
}

export class EventStoreDbEventStore implements EventStore {
  /** Commit positions are offsets in the server's transaction log: increasing, with gaps. */
  readonly consecutivePositions = false;
  private readonly client: EventStoreDBClient;
  private readonly subscriptions = new Set<EventStoreDbSubscription>();
  private readonly prefix: string;
  /** The client gives reads no deadline; ours is the connection string's `defaultDeadline` (10 s). */
  private readonly readTimeoutMs: number;

  constructor(
    connectionString: string,
    private readonly options: EventStoreDbOptions = {},
  ) {
    this.client = EventStoreDBClient.connectionString(connectionString);
    this.prefix = options.streamPrefix ?? '';
    this.readTimeoutMs = Number(/[?&]defaultDeadline=(\d+)/i.exec(connectionString)?.[1] ?? 10_000);
  }

  /** Reads every event of a client read, or fails with StoreUnavailableError after the read timeout. */
  private async drain(read: AsyncIterable<ResolvedEvent> & { cancel(): Promise<void>; destroy(): void }, onEvent: (resolved: ResolvedEvent) => boolean | void) {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void read.cancel().catch(() => undefined);
        read.destroy();
        reject(new StoreUnavailableError(`EventStoreDB did not answer a read within ${this.readTimeoutMs} ms`));
      }, this.readTimeoutMs);
    });
    const drained = (async () => {
      for await (const resolved of read) if (onEvent(resolved) === false) break;
    })();
    try {
      await Promise.race([drained, timedOut]);
    } finally {
      clearTimeout(timer);
      drained.catch(() => undefined);
    }
  }

  private readonly isOurs = (resolved: ResolvedEvent) => isLedgerEvent(resolved, this.prefix);
  private readonly stored = (resolved: ResolvedEvent) => toStoredEvent(resolved, this.prefix);

  async appendToStream(streamId: string, events: EventToAppend[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    if (events.length === 0) throw new Error('nothing to append');
    let result;
    try {
      result = await this.client.appendToStream(
        this.prefix + streamId,
        events.map((event) =>
          jsonEvent({
            id: event.eventId,
            type: event.type,
            data: event.data as Record<string, unknown>,
            metadata: { ...event.metadata, [SCHEMA_VERSION_KEY]: event.schemaVersion },
          }),
        ),
        {
          expectedRevision: expectedVersion === 'any' ? ANY : expectedVersion === 'no_stream' ? NO_STREAM : BigInt(expectedVersion),
        },
      );
    } catch (error) {
      if (error instanceof EsdbWrongExpectedVersionError) {
        const actual = error.actualVersion;
        throw new WrongExpectedVersionError(streamId, expectedVersion, typeof actual === 'bigint' ? Number(actual) : 'no_stream');
      }
      return unavailable(error);
    }
    const last = Number(result.nextExpectedRevision);
    const written = await this.readStream(streamId, { fromRevision: last - events.length + 1 });
    const stored = written.slice(0, events.length);
    if (stored.some((event, i) => event.eventId !== events[i].eventId)) {
      throw new Error(`stream ${streamId}: the events read back at revision ${last - events.length + 1} are not the ones appended`);
    }
    return { nextExpectedVersion: last, events: stored, alreadyAppended: result.position === undefined };
  }

  async readStream(streamId: string, options: { fromRevision?: number } = {}): Promise<StoredEvent[]> {
    const events: StoredEvent[] = [];
    try {
      const read = this.client.readStream(this.prefix + streamId, {
        direction: FORWARDS,
        fromRevision: options.fromRevision ? BigInt(options.fromRevision) : START,
      });
      await this.drain(read, (resolved) => {
        if (resolved.event) events.push(this.stored(resolved));
      });
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      if (error instanceof StoreUnavailableError) throw error;
      return unavailable(error);
    }
    return events;
  }

  /** Up to `maxCount` ledger events after `after`, reading past pages made only of system events. */
  async readAll({ after = 0n, maxCount }: ReadAllOptions): Promise<StoredEvent[]> {
    const events: StoredEvent[] = [];
    let from = after;
    try {
      for (;;) {
        let seen = 0;
        const read = this.client.readAll({
          direction: FORWARDS,
          fromPosition: from > 0n ? { commit: from, prepare: from } : START,
          maxCount,
        });
        await this.drain(read, (resolved) => {
          seen++;
          const position = resolved.event?.position?.commit;
          if (position !== undefined) from = position;
          if (this.isOurs(resolved) && events.length < maxCount) events.push(this.stored(resolved));
        });
        if (events.length > 0 || seen < maxCount) return events;
      }
    } catch (error) {
      return unavailable(error);
    }
  }

  async headPosition(): Promise<GlobalPosition> {
    try {
      let from: { commit: bigint; prepare: bigint } | typeof END = END;
      for (;;) {
        let seen = 0;
        let head: GlobalPosition | undefined;
        const read = this.client.readAll({ direction: BACKWARDS, fromPosition: from, maxCount: 100 });
        await this.drain(read, (resolved) => {
          seen++;
          if (this.isOurs(resolved)) {
            head = this.stored(resolved).position;
            return false;
          }
          const position: { commit: bigint; prepare: bigint } | undefined = resolved.event?.position;
          if (position) from = position;
        });
        if (head !== undefined) return head;
        if (seen < 100) return 0n;
      }
    } catch (error) {
      return unavailable(error);
    }
  }

  subscribeToAll(handler: SubscriptionHandler, options: SubscribeOptions = {}): Subscription {
    const subscription = new EventStoreDbSubscription(this.client, this, handler, {
      prefix: this.prefix,
      after: options.after ?? 0n,
      batchSize: options.batchSize ?? 1000,
      ...(this.options.resubscribe ?? { initialDelayMs: 100, maxDelayMs: 5000 }),
    });
    this.subscriptions.add(subscription);
    subscription.done.finally(() => this.subscriptions.delete(subscription)).catch(() => undefined);
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    // dispose() waits for every call the client ever opened to finish; one that failed during an
    // outage may never report it, so give up waiting after a second.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.client.dispose(), new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
    clearTimeout(timer);
  }
}

/**
 * A catch-up subscription to `$all` from a stored position that survives connection drops: the
 * client does not resubscribe by itself, so this does, with exponential backoff, from the last
 * position handed to the handler (exclusive) — nothing lost, nothing delivered twice.
 */
class EventStoreDbSubscription implements Subscription {
  readonly done: Promise<void>;
  private position: GlobalPosition;
  private stopped = false;
  private current: { unsubscribe(): Promise<void>; destroy(error?: Error): void } | undefined;
  private wakeBackoff: (() => void) | undefined;
  private readonly waiters: Array<{ target: GlobalPosition; resolve: () => void }> = [];

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly store: Pick<EventStore, 'headPosition'>,
    private readonly handler: SubscriptionHandler,
    private readonly options: { prefix: string; after: GlobalPosition; batchSize: number; initialDelayMs: number; maxDelayMs: number },
  ) {
    this.position = options.after;
    this.done = this.run();
    this.done.catch(() => undefined);
  }

  private async run(): Promise<void> {
    let failures = 0;
    try {
      while (!this.stopped) {
        try {
          await this.follow(() => (failures = 0));
        } catch (error) {
          if (error instanceof HandlerFailure) throw error.cause;
          if (this.stopped) break;
          // The connection dropped (or the server went away): wait, then resubscribe from where we are.
          const delay = Math.min(this.options.initialDelayMs * 2 ** failures, this.options.maxDelayMs);
          failures++;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, delay);
            this.wakeBackoff = () => (clearTimeout(timer), resolve());
          });
          this.wakeBackoff = undefined;
        }
      }
    } finally {
      this.release(true);
    }
  }

  /** One subscription, until it fails or is stopped; events are handed over in batches. */
  private async follow(onProgress: () => void): Promise<void> {
    const subscription = this.client.subscribeToAll({
      fromPosition: this.position > 0n ? { commit: this.position, prepare: this.position } : START,
    });
    this.current = subscription;
    let batch: StoredEvent[] = [];
    try {
      for await (const resolved of subscription) {
        if (this.stopped) break;
        if (isLedgerEvent(resolved, this.options.prefix)) batch.push(toStoredEvent(resolved, this.options.prefix));
        if (batch.length > 0 && (batch.length >= this.options.batchSize || subscription.readableLength === 0)) {
          try {
            await this.handler(batch);
          } catch (error) {
            throw new HandlerFailure(error);
          }
          this.position = batch[batch.length - 1].position;
          batch = [];
          onProgress();
          this.release();
        }
      }
    } finally {
      this.current = undefined;
      await subscription.unsubscribe().catch(() => undefined);
    }
    if (!this.stopped) throw new Error('the subscription ended');
  }

  private release(all = false): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (all || this.position >= this.waiters[i].target) this.waiters.splice(i, 1)[0].resolve();
    }
  }

  async caughtUp(): Promise<void> {
    const target = await this.store.headPosition();
    if (this.position >= target || this.stopped) return;
    await new Promise<void>((resolve) => this.waiters.push({ target, resolve }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeBackoff?.();
    const current = this.current;
    await current?.unsubscribe().catch(() => undefined);
    current?.destroy(); // a cancelled call may never end the stream: end the iteration ourselves
    await this.done.catch(() => undefined);
  }
}

class HandlerFailure extends Error {
  constructor(override readonly cause: unknown) {
    super('subscription handler failed');
  }
}

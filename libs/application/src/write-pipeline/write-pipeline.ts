import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Decider, DomainError, LedgerEvent, currentEventOf, foldEvents } from '@ledger/domain';
import { canonicalJson } from '@ledger/integrity';
import {
  AppendResult,
  EventIdConflictError,
  EventStore,
  EventToAppend,
  ExpectedVersion,
  StoredEvent,
  StreamAppend,
  WrongExpectedVersionError,
} from '@ledger/event-store';
import { COMMAND_OBSERVER, EVENT_STORE, PERSONAL_DATA_VAULT } from '../tokens';
import { PersonalDataVault, studentKeyOfStream } from '../personal-data/personal-data-vault';
import { WriteContext } from '../write-context';
import { commandEventId, commandMetadataOf, envelope } from './envelope';
import { KeyedQueue } from './keyed-queue';

export class IdempotencyKeyReused extends DomainError {
  constructor(key: string) {
    super('IDEMPOTENCY_KEY_REUSED', 'rule', `Idempotency-Key "${key}" was already used for a different request`, 'Idempotency-Key');
  }
}

export class ConcurrencyConflict extends DomainError {
  constructor(streamId: string, attempts: number) {
    super('CONCURRENCY_CONFLICT', 'conflict', `${streamId} kept changing during ${attempts} attempts; retry the request`);
  }
}

export interface CommandOutcome {
  streamId: string;
  /** The events the command recorded (for a replayed request: the ones it recorded the first time). */
  events: StoredEvent[];
  /** `recorded`: new events; `replayed`: same Idempotency-Key and body as before; `unchanged`: already recorded. */
  result: 'recorded' | 'replayed' | 'unchanged';
}

/** How a command ended: `refused` (a rule or a conflict: the caller's to fix), `failed` (the store, a bug). */
export type CommandEnding = CommandOutcome['result'] | 'refused' | 'failed';

export interface CommandObserver {
  commandEnded(command: string, ending: CommandEnding, code: string | undefined, seconds: number): void;
}

/** What one attempt of a command works on; found afresh for each attempt, since a retry may find it elsewhere. */
export interface CommandTarget<Command> {
  streamId: string;
  command: Command;
  /** The stream's events, when finding the target read them already. */
  stored?: StoredEvent[];
  /**
   * Events for other streams that are recorded with the command's events and never without them,
   * each to a stream that must not exist yet (a student's identifier linked to their record). Where
   * the store can, they are appended in one atomic append with the command's events; where it cannot
   * (EventStoreDB), just before them, so that a crash in between leaves these without the command's
   * events, never the command's events without these.
   */
  alongside?: ReadonlyArray<{ streamId: string; event: LedgerEvent }>;
  /** What follows the command's events once they are recorded, never before nor without them (identifiers linked in the identity index). */
  afterRecorded?: () => Promise<void>;
  /**
   * What must hold just before the command's events are appended, and only once they are decided (a
   * new student filed in the identity index: nothing is kept of a child whose first write is refused).
   * False: another writer got there first — the command is decided again on what it did.
   */
  beforeAppend?: () => Promise<boolean>;
}

export const MAX_ATTEMPTS = 12;

// One queue per event store, shared by every pipeline of the process over it (the service has one;
// tests and the CLI may build several over one store).
const queuesByStore = new WeakMap<object, KeyedQueue>();
// The last revision of each stream of facts (appendFacts), per store, as this process last wrote or read it.
const factHeadsByStore = new WeakMap<object, Map<string, ExpectedVersion>>();
/** A fact decided and waiting for its stream's next append. */
type PendingFact = { events: EventToAppend[]; resolve: (outcome: CommandOutcome) => void; reject: (error: unknown) => void };
const pendingFactsByStore = new WeakMap<object, Map<string, PendingFact[]>>();

/**
 * The one door for every write to the log. A command: load its stream, decide (the domain's pure
 * decider), put the events in their envelope (envelope.ts), append with the expected version; on a
 * version conflict (another process, or a link claimed meanwhile) start over, a bounded number of
 * times. Every command is idempotent by `Idempotency-Key`: event ids derive from the key, and a
 * request whose key is already in the stream answers from the events it recorded.
 *
 * Commands for one stream run one after another in this process (a queue per stream), so that
 * concurrent requests for one student wait for each other instead of failing on each other's
 * appends; optimistic concurrency stays the guard between processes.
 *
 * Writers that keep their own stream's version (the digests, the demo mark) append prepared events
 * through `appendPrepared`; the import appends its batch through `appendBatch`; a stream of facts no
 * decision reads (the record of disclosures) through `appendFacts`; a migration copies another log's
 * events through `appendCopied`. Nothing else in the
 * application calls a store's append methods (a test checks it).
 */
@Injectable()
export class WritePipeline {
  private readonly queue: KeyedQueue;

  constructor(
    /** The store written to (also read by the services that find a command's stream, e.g. the student directory). */
    @Inject(EVENT_STORE) readonly store: EventStore,
    @Optional() @Inject(COMMAND_OBSERVER) private readonly observer?: CommandObserver,
    /** Seals students' personal fields on their way into the log (absent only where no ledger is open, or in a bare unit test). */
    @Optional() @Inject(PERSONAL_DATA_VAULT) readonly vault?: PersonalDataVault,
  ) {
    // No store at all: a CLI command that opens no ledger (it writes nothing).
    let queue = store && queuesByStore.get(store);
    if (!queue) {
      queue = new KeyedQueue();
      if (store) queuesByStore.set(store, queue);
    }
    this.queue = queue;
  }

  /** A command to a stream known in advance. */
  run<Command extends { type: string }, Event extends LedgerEvent, State, Context>(
    streamId: string,
    decider: Decider<Command, Event, State, Context>,
    context: Context,
    command: Command,
    write: WriteContext,
  ): Promise<CommandOutcome> {
    return this.runOn(command.type, streamId, async () => ({ streamId, command }), decider, context, write);
  }

  /**
   * As run(), on the target `find` gives for each attempt (see CommandTarget). `queueKey`: the stream
   * the command is serialized on — the one it is expected to land on (a student's, by the identifier
   * the request names); where it lands elsewhere, the expected version still guards the append.
   */
  runOn<Command, Event extends LedgerEvent, State, Context>(
    commandType: string,
    queueKey: string,
    find: () => Promise<CommandTarget<Command>>,
    decider: Decider<Command, Event, State, Context>,
    context: Context,
    write: WriteContext,
  ): Promise<CommandOutcome> {
    return this.queue.run(queueKey, () => this.observed(commandType, () => this.attempt(find, decider, context, write)));
  }

  /**
   * Appends events already decided by a writer that keeps its stream's version itself (the signed
   * digests, the demo ledger's mark), each put in its envelope here, in the stream's queue. A
   * version conflict is the writer's to resolve (WrongExpectedVersionError).
   */
  appendPrepared(streamId: string, events: ReadonlyArray<{ eventId: string; type: string; data: unknown }>, metadata: EventToAppend['metadata'], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    return this.queue.run(streamId, () => this.store.appendToStream(streamId, this.sealed(streamId, events.map((event) => envelope(event, event.eventId, metadata))), expectedVersion));
  }

  /**
   * Appends events copied from another log (`migrate`): each keeps its id, type, schema version and
   * data as stored there (no upcasting: the copy is what was recorded), with the metadata the
   * migration gives it; a student's personal fields are sealed here as on every append. The caller
   * keeps the stream's version (a conflict is a WrongExpectedVersionError).
   */
  appendCopied(
    streamId: string,
    events: ReadonlyArray<{ eventId: string; type: string; schemaVersion: number; data: unknown }>,
    metadata: EventToAppend['metadata'],
    expectedVersion: ExpectedVersion,
  ): Promise<AppendResult> {
    const copies = events.map(({ eventId, type, schemaVersion, data }) => ({ eventId, type, schemaVersion, data, metadata }));
    return this.queue.run(streamId, () => this.store.appendToStream(streamId, this.sealed(streamId, copies), expectedVersion));
  }

  /**
   * A command whose decider keeps no state (its events are facts no later decision reads: the record
   * of disclosures), appended to one stream shared by every such command. It is decided without
   * reading the stream, and appended at the revision this process last saw for it, so that the
   * hash chain links it without a read (the chain needs an exact predecessor: `any` would read the
   * whole stream each time); the facts that arrive while an append is under way go together in the
   * next one. Another process appending meanwhile: the stream's tail is read and the append tried
   * again, a bounded number of times.
   */
  appendFacts<Command extends { type: string }, Event extends LedgerEvent, Context>(
    streamId: string,
    decider: Decider<Command, Event, null, Context>,
    context: Context,
    command: Command,
    write: WriteContext,
  ): Promise<CommandOutcome> {
    return this.observed(command.type, async () => {
      const events = decider.decide(command, decider.initialState(), context);
      const metadata = commandMetadataOf(write);
      const toAppend = events.map((event, index) => envelope(event, commandEventId(write, index), metadata));
      return new Promise<CommandOutcome>((resolve, reject) => {
        const pending = this.pendingFacts(streamId);
        pending.push({ events: toAppend, resolve, reject });
        // The first waiting fact asks for an append; those that arrive before it runs go with it.
        if (pending.length === 1) void this.queue.run(streamId, () => this.appendPendingFacts(streamId));
      });
    });
  }

  private pendingFacts(streamId: string): PendingFact[] {
    let byStream = pendingFactsByStore.get(this.store);
    if (!byStream) pendingFactsByStore.set(this.store, (byStream = new Map()));
    let pending = byStream.get(streamId);
    if (!pending) byStream.set(streamId, (pending = []));
    return pending;
  }

  /**
   * Every fact waiting for this stream, in one append (one commit: concurrent disclosures do not
   * wait for each other's fsync), at the revision last seen, following another process's appends.
   */
  private async appendPendingFacts(streamId: string): Promise<void> {
    const batch = this.pendingFacts(streamId).splice(0);
    const heads = this.factHeads();
    try {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const expected = heads.get(streamId) ?? (await this.lastRevisionOf(streamId, 'no_stream'));
        try {
          const appended = await this.store.appendToStream(streamId, batch.flatMap((fact) => fact.events), expected);
          heads.set(streamId, appended.nextExpectedVersion);
          let from = 0;
          for (const fact of batch) {
            const events = appended.events.slice(from, (from += fact.events.length));
            fact.resolve({ streamId, events, result: appended.alreadyAppended ? 'replayed' : 'recorded' });
          }
          return;
        } catch (error) {
          if (!(error instanceof WrongExpectedVersionError)) throw error;
          heads.set(streamId, await this.lastRevisionOf(streamId, expected));
        }
      }
      throw new ConcurrencyConflict(streamId, MAX_ATTEMPTS);
    } catch (error) {
      for (const fact of batch) fact.reject(error);
    }
  }

  private factHeads(): Map<string, ExpectedVersion> {
    let heads = factHeadsByStore.get(this.store);
    if (!heads) factHeadsByStore.set(this.store, (heads = new Map()));
    return heads;
  }

  /** The stream's last revision, read from `known` on (its tail only, when a revision is known). */
  private async lastRevisionOf(streamId: string, known: ExpectedVersion): Promise<ExpectedVersion> {
    const tail = await this.store.readStream(streamId, { fromRevision: typeof known === 'number' ? known : 0 });
    return tail.length > 0 ? tail[tail.length - 1].revision : 'no_stream';
  }

  /** Whether this store can append a batch to many streams all or nothing (the embedded store can; EventStoreDB cannot). */
  get appendsBatches(): boolean {
    return this.store.appendAtomicallyInParts !== undefined || this.store.appendAtomically !== undefined;
  }

  /**
   * A batch to many streams, all or nothing (an import): the appends come in parts, made as they
   * are written and let go of after; on the embedded store, written on a connection of its own and
   * visible together once the last part is in. Resolves with the number of events written.
   */
  async appendBatch(batch: AsyncIterable<StreamAppend[]>): Promise<number> {
    const parts = this.sealedParts(batch);
    const inParts = this.store.appendAtomicallyInParts?.bind(this.store);
    if (inParts) return (await inParts(parts)).events;
    const atomically = this.store.appendAtomically?.bind(this.store);
    if (!atomically) throw new Error('this store cannot append to many streams atomically');
    const appends: StreamAppend[] = [];
    for await (const part of parts) appends.push(...part);
    return (await atomically(appends)).reduce((sum, result) => sum + result.events.length, 0);
  }

  /** Runs a command, telling the observer (the service's metrics) how it ended and how long it took. */
  private async observed(commandType: string, command: () => Promise<CommandOutcome>): Promise<CommandOutcome> {
    if (!this.observer) return command();
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const outcome = await command();
      this.observer.commandEnded(commandType, outcome.result, undefined, seconds());
      return outcome;
    } catch (error) {
      const refused = error instanceof DomainError;
      this.observer.commandEnded(commandType, refused ? 'refused' : 'failed', refused ? error.code : (error as Error).name, seconds());
      throw error;
    }
  }

  private async attempt<Command, Event extends LedgerEvent, State, Context>(
    find: () => Promise<CommandTarget<Command>>,
    decider: Decider<Command, Event, State, Context>,
    context: Context,
    requested: WriteContext,
  ): Promise<CommandOutcome> {
    const write = this.keyed(requested);
    let streamId = '';
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const target = await find();
      streamId = target.streamId;
      const stored = target.stored ?? (await this.store.readStream(streamId));
      const replay = replayOf(stored, write);
      if (replay) return { streamId, events: replay, result: 'replayed' };
      // Decided on the student's data in clear (a resubmission is compared with what was recorded); sealed again on the way in.
      const state = foldEvents(decider, stored.map((event) => this.opened(streamId, currentEventOf(event) as Event)));
      const events = decider.decide(target.command, state, context);
      if (events.length === 0) return { streamId, events: [], result: 'unchanged' };
      const metadata = commandMetadataOf(write);
      if (target.beforeAppend && !(await target.beforeAppend())) continue;
      try {
        const appended = await this.append(
          { streamId, events: events.map((event, index) => envelope(event, commandEventId(write, index), metadata)), expectedVersion: stored.length === 0 ? 'no_stream' : stored[stored.length - 1].revision },
          (target.alongside ?? []).map(({ streamId: other, event }, index) => ({
            streamId: other,
            events: [envelope(event, commandEventId(write, `alongside-${index}`), metadata)],
            expectedVersion: 'no_stream' as const,
          })),
        );
        if (!appended.alreadyAppended) await target.afterRecorded?.();
        return { streamId, events: appended.events, result: appended.alreadyAppended ? 'replayed' : 'recorded' };
      } catch (error) {
        if (error instanceof WrongExpectedVersionError) {
          // Another process (or a link claimed meanwhile) won the race: back off a little (jittered) and decide again on fresh state.
          await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * attempt * 2)));
          continue;
        }
        if (error instanceof EventIdConflictError && write.idempotencyKey) throw new IdempotencyKeyReused(write.idempotencyKey);
        throw error;
      }
    }
    throw new ConcurrencyConflict(streamId, MAX_ATTEMPTS);
  }

  /**
   * The events as they go into `streamId`: a student's personal fields sealed with the student's data
   * key (PersonalDataVault), here, before the store hashes them — so the hash chain and the Merkle
   * leaves cover the ciphertext, and destroying the key later changes no stored byte.
   */
  private sealed(streamId: string, events: EventToAppend[], dataKeys?: ReadonlyMap<string, Buffer>): EventToAppend[] {
    const vault = this.vault;
    if (!vault) return events;
    return events.map((event) => {
      const data = vault.sealFor(streamId, event.data, dataKeys);
      return data === event.data ? event : { ...event, data };
    });
  }

  /**
   * The write context as the log records it: its request hash keyed with the key store's index key
   * (a plain hash of a body that names a student could be brute-forced back to the resident ID).
   */
  private keyed(write: WriteContext): WriteContext {
    return this.vault && write.requestHash ? { ...write, requestHash: this.vault.keys.keyedRequestHash(write.requestHash) } : write;
  }

  /** A stored event of `streamId` as a decider folds it: upcast to its current version, its student's personal fields opened. */
  decidable<Event extends LedgerEvent>(streamId: string, stored: StoredEvent): Event {
    return this.opened(streamId, currentEventOf(stored) as Event);
  }

  /** An event of `streamId` with its student's personal fields opened (`erased` where the key was destroyed). */
  private opened<Event extends LedgerEvent>(streamId: string, event: Event): Event {
    const studentKey = this.vault && studentKeyOfStream(streamId);
    if (!studentKey) return event;
    const data = this.vault!.openFor(studentKey, event.data);
    return data === event.data ? event : ({ ...event, data } as Event);
  }

  private async *sealedParts(parts: AsyncIterable<StreamAppend[]>): AsyncIterable<StreamAppend[]> {
    // The data keys of the import's new students, sealing their events without a look-up in the key store each.
    const dataKeys = new Map<string, Buffer>();
    for await (const part of parts) {
      // The import's new students go into the identity index (with their data keys) before the part that holds them.
      for (const [studentKey, dataKey] of this.vault?.placeDeferred() ?? []) dataKeys.set(studentKey, dataKey);
      yield part.map((append) => ({ ...append, events: this.sealed(append.streamId, append.events, dataKeys) }));
    }
  }

  /** The command's append, with the appends that go alongside it (CommandTarget.alongside). */
  private async append(unsealedMain: StreamAppend, unsealedAlongside: StreamAppend[]): Promise<AppendResult> {
    const main = { ...unsealedMain, events: this.sealed(unsealedMain.streamId, unsealedMain.events) };
    const alongside = unsealedAlongside.map((other) => ({ ...other, events: this.sealed(other.streamId, other.events) }));
    if (alongside.length === 0) return this.store.appendToStream(main.streamId, main.events, main.expectedVersion);
    if (this.store.appendAtomically) return (await this.store.appendAtomically([...alongside, main])).at(-1)!;
    for (const other of alongside) await this.store.appendToStream(other.streamId, other.events, other.expectedVersion);
    return this.store.appendToStream(main.streamId, main.events, main.expectedVersion);
  }
}

/** The events a previous request with the same Idempotency-Key recorded, if any. */
function replayOf(stored: StoredEvent[], write: WriteContext): StoredEvent[] | undefined {
  if (!write.idempotencyKey) return undefined;
  const earlier = stored.filter((event) => event.metadata.idempotencyKey === write.idempotencyKey && event.metadata.actor?.id === write.actor.id);
  if (earlier.length === 0) return undefined;
  if (earlier[0].metadata.requestHash !== write.requestHash) throw new IdempotencyKeyReused(write.idempotencyKey);
  return earlier;
}

/** A stable hash of a request: method, route and canonical JSON of the body (the hash chain's canonical form). */
export function hashRequest(method: string, route: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${route}\n${canonicalJson(body)}`).digest('hex');
}

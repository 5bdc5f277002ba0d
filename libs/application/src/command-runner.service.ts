import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import { Decider, DomainError, EVENT_SCHEMA_VERSIONS, LedgerEvent, currentEventOf, foldEvents } from '@ledger/domain';
import { canonicalJson } from '@ledger/integrity';
import {
  AppendResult,
  EventIdConflictError,
  EventMetadata,
  EventStore,
  EventToAppend,
  ExpectedVersion,
  StoredEvent,
  WrongExpectedVersionError,
} from '@ledger/event-store';
import { COMMAND_OBSERVER, EVENT_STORE } from './tokens';
import { WriteContext } from './write-context';

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
}

/** Namespace of idempotency-derived event ids (a fixed random UUID). */
const IDEMPOTENCY_NAMESPACE = '3d0b6f1e-6a55-4a8e-9f0e-7f1c2b9a4c11';

export const MAX_ATTEMPTS = 12;

/**
 * Runs a command against one stream: load, decide, append with the expected version; on a
 * version conflict (another write to the same stream got in first) start over, a bounded number
 * of times. Every write is idempotent by `Idempotency-Key`: event ids derive from the key, and a
 * request whose key is already in the stream answers from the events it recorded.
 */
@Injectable()
export class CommandRunner {
  constructor(
    /** The store commands run on (also for the services that find a command's stream, e.g. the student directory). */
    @Inject(EVENT_STORE) readonly store: EventStore,
    @Optional() @Inject(COMMAND_OBSERVER) private readonly observer?: CommandObserver,
  ) {}

  run<Command extends { type: string }, Event extends LedgerEvent, State, Context>(
    streamId: string,
    decider: Decider<Command, Event, State, Context>,
    context: Context,
    command: Command,
    write: WriteContext,
  ): Promise<CommandOutcome> {
    return this.runOn(command.type, async () => ({ streamId, command }), decider, context, write);
  }

  /** As run(), on the target `find` gives for each attempt (see CommandTarget). */
  async runOn<Command, Event extends LedgerEvent, State, Context>(
    commandType: string,
    find: () => Promise<CommandTarget<Command>>,
    decider: Decider<Command, Event, State, Context>,
    context: Context,
    write: WriteContext,
  ): Promise<CommandOutcome> {
    if (!this.observer) return this.attempt(find, decider, context, write);
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const outcome = await this.attempt(find, decider, context, write);
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
    write: WriteContext,
  ): Promise<CommandOutcome> {
    let streamId = '';
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const target = await find();
      streamId = target.streamId;
      const stored = target.stored ?? (await this.store.readStream(streamId));
      const replay = this.replayOf(stored, write);
      if (replay) return { streamId, events: replay, result: 'replayed' };
      const state = foldEvents(decider, stored.map((event) => currentEventOf(event) as Event));
      const events = decider.decide(target.command, state, context);
      if (events.length === 0) return { streamId, events: [], result: 'unchanged' };
      const metadata: EventMetadata = {
        actor: write.actor,
        correlationId: write.correlationId,
        causationId: write.causationId,
        ...(write.idempotencyKey && { idempotencyKey: write.idempotencyKey }),
        requestHash: write.requestHash,
        ...(write.via && { via: write.via }),
      };
      try {
        const appended = await this.append(
          { streamId, events: events.map((event, index) => toAppend(event, this.eventId(write, index), metadata)), expectedVersion: stored.length === 0 ? 'no_stream' : stored[stored.length - 1].revision },
          (target.alongside ?? []).map(({ streamId: other, event }, index) => ({
            streamId: other,
            events: [toAppend(event, this.eventId(write, `alongside-${index}`), metadata)],
            expectedVersion: 'no_stream' as const,
          })),
        );
        return { streamId, events: appended.events, result: appended.alreadyAppended ? 'replayed' : 'recorded' };
      } catch (error) {
        if (error instanceof WrongExpectedVersionError) {
          // Another write won the race: back off a little (jittered) and decide again on fresh state.
          await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * attempt * 2)));
          continue;
        }
        if (error instanceof EventIdConflictError && write.idempotencyKey) throw new IdempotencyKeyReused(write.idempotencyKey);
        throw error;
      }
    }
    throw new ConcurrencyConflict(streamId, MAX_ATTEMPTS);
  }

  /** The command's append, with the appends that go alongside it (CommandTarget.alongside). */
  private async append(
    main: { streamId: string; events: EventToAppend[]; expectedVersion: ExpectedVersion },
    alongside: Array<{ streamId: string; events: EventToAppend[]; expectedVersion: ExpectedVersion }>,
  ): Promise<AppendResult> {
    if (alongside.length === 0) return this.store.appendToStream(main.streamId, main.events, main.expectedVersion);
    if (this.store.appendAtomically) return (await this.store.appendAtomically([...alongside, main])).at(-1)!;
    for (const other of alongside) await this.store.appendToStream(other.streamId, other.events, other.expectedVersion);
    return this.store.appendToStream(main.streamId, main.events, main.expectedVersion);
  }

  /** The events a previous request with the same Idempotency-Key recorded, if any. */
  private replayOf(stored: StoredEvent[], write: WriteContext): StoredEvent[] | undefined {
    if (!write.idempotencyKey) return undefined;
    const earlier = stored.filter(
      (event) => event.metadata.idempotencyKey === write.idempotencyKey && event.metadata.actor?.id === write.actor.id,
    );
    if (earlier.length === 0) return undefined;
    if (earlier[0].metadata.requestHash !== write.requestHash) throw new IdempotencyKeyReused(write.idempotencyKey);
    return earlier;
  }

  private eventId(write: WriteContext, index: number | string): string {
    if (!write.idempotencyKey) return crypto.randomUUID();
    // Keys are scoped to the actor: two clients may pick the same key.
    return uuidv5(`${write.actor.id}#${write.idempotencyKey}#${index}`, IDEMPOTENCY_NAMESPACE);
  }
}

function toAppend(event: LedgerEvent, eventId: string, metadata: EventMetadata): EventToAppend {
  return { eventId, type: event.type, schemaVersion: EVENT_SCHEMA_VERSIONS[event.type], data: event.data, metadata };
}

/** A stable hash of a request: method, route and canonical JSON of the body (the hash chain's canonical form). */
export function hashRequest(method: string, route: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${route}\n${canonicalJson(body)}`).digest('hex');
}

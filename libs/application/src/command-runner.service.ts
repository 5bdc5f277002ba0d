import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import { Decider, DomainError, EVENT_SCHEMA_VERSIONS, LedgerEvent, currentEventOf, foldEvents } from '@ledger/domain';
import { canonicalJson } from '@ledger/integrity';
import {
  EventIdConflictError,
  EventStore,
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
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Optional() @Inject(COMMAND_OBSERVER) private readonly observer?: CommandObserver,
  ) {}

  async run<Command extends { type: string }, Event extends LedgerEvent, State, Context>(
    streamId: string,
    decider: Decider<Command, Event, State, Context>,
    context: Context,
    command: Command,
    write: WriteContext,
  ): Promise<CommandOutcome> {
    if (!this.observer) return this.attempt(streamId, decider, context, command, write);
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const outcome = await this.attempt(streamId, decider, context, command, write);
      this.observer.commandEnded(command.type, outcome.result, undefined, seconds());
      return outcome;
    } catch (error) {
      const refused = error instanceof DomainError;
      this.observer.commandEnded(command.type, refused ? 'refused' : 'failed', refused ? error.code : (error as Error).name, seconds());
      throw error;
    }
  }

  private async attempt<Command, Event extends LedgerEvent, State, Context>(
    streamId: string,
    decider: Decider<Command, Event, State, Context>,
    context: Context,
    command: Command,
    write: WriteContext,
  ): Promise<CommandOutcome> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const stored = await this.store.readStream(streamId);
      const replay = this.replayOf(stored, write);
      if (replay) return { streamId, events: replay, result: 'replayed' };
      const state = foldEvents(decider, stored.map((event) => currentEventOf(event) as Event));
      const events = decider.decide(command, state, context);
      if (events.length === 0) return { streamId, events: [], result: 'unchanged' };
      try {
        const appended = await this.store.appendToStream(
          streamId,
          events.map((event, index) => ({
            eventId: this.eventId(write, index),
            type: event.type,
            schemaVersion: EVENT_SCHEMA_VERSIONS[event.type],
            data: event.data,
            metadata: {
              actor: write.actor,
              correlationId: write.correlationId,
              causationId: write.causationId,
              ...(write.idempotencyKey && { idempotencyKey: write.idempotencyKey }),
              requestHash: write.requestHash,
            },
          })),
          stored.length === 0 ? 'no_stream' : stored[stored.length - 1].revision,
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

  private eventId(write: WriteContext, index: number): string {
    if (!write.idempotencyKey) return crypto.randomUUID();
    // Keys are scoped to the actor: two clients may pick the same key.
    return uuidv5(`${write.actor.id}#${write.idempotencyKey}#${index}`, IDEMPOTENCY_NAMESPACE);
  }
}

/** A stable hash of a request: method, route and canonical JSON of the body (the hash chain's canonical form). */
export function hashRequest(method: string, route: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${route}\n${canonicalJson(body)}`).digest('hex');
}

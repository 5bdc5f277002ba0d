import { v5 as uuidv5 } from 'uuid';
import { CommandOutcome, WriteContext } from '@ledger/application';
import { Reply } from '../edge/replies';

const GENERATED_ID_NAMESPACE = '8f3a1c52-0d4b-4f7e-b1d6-5a9e2c7b3f40';

/**
 * The id of a new record when the client gave none: derived from the Idempotency-Key when there
 * is one (so a retry names the same record), random otherwise.
 */
export function recordIdFor(given: string | undefined, write: WriteContext): string {
  if (given !== undefined) return given;
  if (write.idempotencyKey) return uuidv5(`${write.actor.id}#${write.idempotencyKey}`, GENERATED_ID_NAMESPACE);
  return crypto.randomUUID();
}

/**
 * What a write answers: 201 with the recorded events; the same answer for a replayed
 * Idempotency-Key (flagged in a header); 200 when the record was already there, unchanged.
 */
export function writeOutcome(outcome: CommandOutcome, ids: Record<string, string>): Reply {
  const body = {
    ...ids,
    streamId: outcome.streamId,
    alreadyRecorded: outcome.result === 'unchanged',
    events: outcome.events.map((event) => ({
      eventId: event.eventId,
      type: event.type,
      revision: event.revision,
      position: event.position.toString(),
      recordedAt: event.recordedAt,
    })),
  };
  return new Reply(body, { status: outcome.result === 'unchanged' ? 200 : 201, headers: outcome.result === 'replayed' ? { 'Idempotent-Replayed': 'true' } : {} });
}

import { CommandOutcome } from '@ledger/application';
import { Reply } from '../edge/replies';

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

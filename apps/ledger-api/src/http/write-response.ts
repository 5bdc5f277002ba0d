import type { Response } from 'express';
import { CommandOutcome } from '@ledger/application';

/**
 * What a write answers: 201 with the recorded events; the same answer for a replayed
 * Idempotency-Key (flagged in a header); 200 when the record was already there, unchanged.
 */
export function sendWriteOutcome(response: Response, outcome: CommandOutcome, ids: Record<string, string>) {
  if (outcome.result === 'replayed') response.setHeader('Idempotent-Replayed', 'true');
  response.status(outcome.result === 'unchanged' ? 200 : 201);
  return {
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
}

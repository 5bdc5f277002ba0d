import { v5 as uuidv5 } from 'uuid';
import { WriteContext } from './write-context';

/** Namespace of record ids made for a client that gave none (a fixed random UUID: changing it would change every such id). */
const GENERATED_ID_NAMESPACE = '8f3a1c52-0d4b-4f7e-b1d6-5a9e2c7b3f40';

/**
 * The id of a new record (approval, payment, loan, repayment, allocation) when the client gave none:
 * derived from the Idempotency-Key when there is one (so a retry names the same record), random otherwise.
 */
export function recordIdFor(given: string | undefined, write: WriteContext): string {
  if (given !== undefined) return given;
  if (write.idempotencyKey) return uuidv5(`${write.actor.id}#${write.idempotencyKey}`, GENERATED_ID_NAMESPACE);
  return crypto.randomUUID();
}

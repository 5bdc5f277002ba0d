import { v5 as uuidv5 } from 'uuid';
import { LedgerEventType, RecordType, schemaVersionOf } from '@ledger/domain';
import { EventMetadata, EventToAppend } from '@ledger/event-store';
import { WriteContext } from '../write-context';

/**
 * The envelope of every event the ledger writes, built here alone: its id, the schema version of its
 * type (from the domain's registry), and the metadata — actor, who asked (a digest signed on request),
 * correlation and causation ids, Idempotency-Key, request hash, import batch, and `via` for a write
 * made on the command line. The metadata's keys are always in this order, so stored bytes do not
 * depend on which path wrote an event.
 */
export interface EnvelopeFields {
  actor: { id: string; role: string };
  requestedBy?: { id: string; role: string };
  correlationId?: string;
  causationId?: string;
  idempotencyKey?: string;
  requestHash?: string;
  importBatch?: string;
  via?: WriteContext['via'];
}

export function metadataOf(fields: EnvelopeFields): EventMetadata {
  const metadata: EventMetadata = { actor: fields.actor };
  if (fields.requestedBy !== undefined) metadata.requestedBy = fields.requestedBy;
  if (fields.correlationId !== undefined) metadata.correlationId = fields.correlationId;
  if (fields.causationId !== undefined) metadata.causationId = fields.causationId;
  if (fields.idempotencyKey) metadata.idempotencyKey = fields.idempotencyKey;
  if (fields.requestHash !== undefined) metadata.requestHash = fields.requestHash;
  if (fields.importBatch !== undefined) metadata.importBatch = fields.importBatch;
  if (fields.via) metadata.via = fields.via;
  return metadata;
}

/** The metadata of a command's events: everything the write context knows. */
export function commandMetadataOf(write: WriteContext): EventMetadata {
  return metadataOf({
    actor: write.actor,
    correlationId: write.correlationId,
    causationId: write.causationId,
    idempotencyKey: write.idempotencyKey,
    requestHash: write.requestHash,
    via: write.via,
  });
}

/** The metadata of an import batch's events: the batch is their correlation id (no request hash: the batch id is the file's hash). */
export function importMetadataOf(write: WriteContext, batchId: string): EventMetadata {
  return metadataOf({ actor: write.actor, correlationId: batchId, causationId: write.causationId, importBatch: batchId, via: write.via });
}

/** Namespace of idempotency-derived event ids (a fixed random UUID: changing it would change every such id). */
const IDEMPOTENCY_NAMESPACE = '3d0b6f1e-6a55-4a8e-9f0e-7f1c2b9a4c11';

/**
 * The id of a command's event `index` (or of an event appended alongside it: `alongside-<n>`):
 * derived from the actor and the Idempotency-Key when there is one, so that a retry can never be
 * written twice; random otherwise.
 */
export function commandEventId(write: WriteContext, index: number | string): string {
  if (!write.idempotencyKey) return crypto.randomUUID();
  // Keys are scoped to the actor: two clients may pick the same key.
  return uuidv5(`${write.actor.id}#${write.idempotencyKey}#${index}`, IDEMPOTENCY_NAMESPACE);
}

/** An event in its envelope, ready to append. */
export function envelope(event: { type: string; data: unknown }, eventId: string, metadata: EventMetadata): EventToAppend {
  return { eventId, type: event.type, schemaVersion: schemaVersionOf(event.type as LedgerEventType | RecordType), data: event.data, metadata };
}

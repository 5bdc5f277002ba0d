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
  /** An event copied from another log by `migrate`: its position there and when it was recorded there. */
  migratedFrom?: MigratedFrom;
}

/** Where a copied event was in the log it was migrated from (no stream name: the old ones held identifiers). */
export interface MigratedFrom {
  position: string;
  recordedAt: string;
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
  if (fields.migratedFrom) metadata.migratedFrom = { position: fields.migratedFrom.position, recordedAt: fields.migratedFrom.recordedAt };
  return metadata;
}

/**
 * The metadata of an event copied from another log: what it recorded there (actor, who asked, ids,
 * Idempotency-Key, import batch, via) in the same order as any event's, its request hash as
 * `rekey` gives it, and where it came from.
 */
export function migratedMetadataOf(old: EventMetadata, migratedFrom: MigratedFrom, rekey: (requestHash: string) => string): EventMetadata {
  const fields = old as EnvelopeFields & EventMetadata;
  return metadataOf({
    actor: fields.actor ?? { id: 'unknown', role: 'unknown' },
    requestedBy: fields.requestedBy,
    correlationId: fields.correlationId,
    causationId: fields.causationId,
    idempotencyKey: fields.idempotencyKey,
    requestHash: typeof fields.requestHash === 'string' && fields.requestHash !== '' ? rekey(fields.requestHash) : undefined,
    importBatch: fields.importBatch,
    via: fields.via,
    migratedFrom,
  });
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

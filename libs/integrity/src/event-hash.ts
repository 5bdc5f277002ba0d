import { createHash } from 'node:crypto';
import { EventMetadata, StoredEvent } from '@ledger/event-store';

/**
 * The per-stream hash chain. Every event's metadata carries `integrity: {v, previous, hash}`:
 * `hash` is SHA-256 over the canonical JSON of the event's identity and content — id, stream,
 * revision, type, schema version, data, metadata (without `integrity`) — and `previous`, the hash
 * of the stream's event before it. Changing, removing or reordering an event breaks the chain.
 */
export interface IntegrityMetadata {
  v: 1;
  previous: string | null;
  hash: string;
}

/** JSON with object keys sorted and no whitespace: one text for one value (RFC 8785 for our data). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return value === undefined ? 'null' : JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  let out = '{';
  let first = true;
  for (const key of Object.keys(record).sort()) {
    const field = record[key];
    if (field === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${canonicalJson(field)}`;
    first = false;
  }
  return `${out}}`;
}

export interface HashableEvent {
  eventId: string;
  streamId: string;
  revision: number;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: EventMetadata;
}

export function eventHash(event: HashableEvent, previous: string | null): string {
  const { integrity: _integrity, ...metadata } = event.metadata as EventMetadata & { integrity?: unknown };
  const content = canonicalJson({
    eventId: event.eventId,
    streamId: event.streamId,
    revision: event.revision,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    metadata,
    previous,
  });
  return createHash('sha256').update(content).digest('hex');
}

export const integrityOf = (event: Pick<StoredEvent, 'metadata'>): IntegrityMetadata | undefined => {
  const integrity = (event.metadata as { integrity?: IntegrityMetadata }).integrity;
  return integrity && typeof integrity.hash === 'string' ? integrity : undefined;
};

/** The 32 bytes an event contributes to the Merkle tree: its chained hash, recomputed from content. */
export const leafDataOf = (hash: string) => Buffer.from(hash, 'hex');

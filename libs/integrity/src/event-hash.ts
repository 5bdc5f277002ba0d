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

/** `"key":` for each object key seen (few distinct keys, hashed millions of times). */
const KEY_TEXT = new Map<string, string>();
const keyText = (key: string) => {
  let text = KEY_TEXT.get(key);
  if (text === undefined) {
    text = `${JSON.stringify(key)}:`;
    if (KEY_TEXT.size < 10_000) KEY_TEXT.set(key, text);
  }
  return text;
};

/** JSON with object keys sorted and no whitespace: one text for one value (RFC 8785 for our data). */
export function canonicalJson(value: unknown, skipKey?: string): string {
  if (value === null || typeof value !== 'object') return value === undefined ? 'null' : JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length > 1) keys.sort();
  let out = '{';
  for (const key of keys) {
    const field = record[key];
    if (field === undefined || key === skipKey) continue;
    out += `${out.length === 1 ? '' : ','}${keyText(key)}${canonicalJson(field)}`;
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

/** The metadata as the hash sees it: canonical JSON without `integrity`. */
export const hashedMetadataJson = (metadata: EventMetadata) => canonicalJson(metadata, 'integrity');

/**
 * `metadataJson` is `hashedMetadataJson(event.metadata)` when the caller already has it (an import's
 * events share one metadata object).
 */
export function eventHash(event: HashableEvent, previous: string | null, metadataJson = hashedMetadataJson(event.metadata)): string {
  // canonicalJson of {eventId, streamId, revision, type, schemaVersion, data, metadata without
  // `integrity`, previous}, written out in its sorted key order (the hot path of appends and imports).
  const content =
    `{"data":${canonicalJson(event.data)},"eventId":${JSON.stringify(event.eventId)},` +
    `"metadata":${metadataJson},"previous":${previous === null ? 'null' : JSON.stringify(previous)},` +
    `"revision":${JSON.stringify(event.revision)},"schemaVersion":${JSON.stringify(event.schemaVersion)},` +
    `"streamId":${JSON.stringify(event.streamId)},"type":${JSON.stringify(event.type)}}`;
  return createHash('sha256').update(content).digest('hex');
}

export const integrityOf = (event: Pick<StoredEvent, 'metadata'>): IntegrityMetadata | undefined => {
  const integrity = (event.metadata as { integrity?: IntegrityMetadata }).integrity;
  return integrity && typeof integrity.hash === 'string' ? integrity : undefined;
};

/**
 * The event's hash recomputed from its content and its recorded link, as verification and the log
 * witness compute it (an event without a link — not written by the ledger — is hashed unlinked).
 */
export const recomputedHash = (event: HashableEvent): string => eventHash(event, integrityOf(event)?.previous ?? null);

/** The 32 bytes an event contributes to the Merkle tree: its chained hash, recomputed from content. */
export const leafDataOf = (hash: string) => Buffer.from(hash, 'hex');

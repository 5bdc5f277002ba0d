import type Database from 'better-sqlite3';
import { EventStore, GlobalPosition, StoredEvent } from '@ledger/event-store';
import { RecordedLeaf, eventHash, integrityOf, recomputedHash } from '@ledger/integrity';
import { Projection } from './projection';

/**
 * The leaves of the log's Merkle tree as the service saw them arrive: leaf index → position and
 * the event's recorded hash. Proofs are computed from them once the log witness has checked them
 * against the log; `verify` compares the log against them to name the first position where the log
 * no longer is what was recorded.
 *
 * When the read models are refused at start (they disagree with the log), these leaves are not
 * thrown away with the rest: they are kept, as `log_leaves_refused`, as the evidence of the log the
 * service had seen. The first refusal's are kept; deleting the read-models file forgets them.
 */
export const logLeavesProjection: Projection = {
  name: 'log-leaves',
  version: 1,
  tables: ['log_leaves'],
  schema: `
    CREATE TABLE IF NOT EXISTS log_leaves (
      leaf_index INTEGER PRIMARY KEY,
      position   TEXT    NOT NULL,
      event_id   TEXT    NOT NULL,
      hash       TEXT    NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS log_leaves_by_event ON log_leaves (event_id);
  `,
  prepareForEveryEvent(db: Database.Database) {
    const insert = db.prepare('INSERT INTO log_leaves (leaf_index, position, event_id, hash) VALUES (?, ?, ?, ?)');
    const nextLeaf = db.prepare('SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM log_leaves').pluck();
    return (stored: StoredEvent) => {
      const next = nextLeaf.get() as number;
      // An event without a chain link (not written by the ledger) is a leaf all the same.
      insert.run(next, stored.position.toString(), stored.eventId, integrityOf(stored)?.hash ?? eventHash(stored, null));
    };
  },

  /**
   * The last recorded leaf must be the log's event at that position, with the hash recomputed from
   * its content, right after the leaf before it; and it must be where the checkpoint is. (Whatever
   * this misses — a change further back — the log witness finds.)
   */
  async disagreementWith(db: Database.Database, store: EventStore, checkpoint: GlobalPosition): Promise<string | undefined> {
    const last = db
      .prepare<[], { leaf_index: number; position: string; event_id: string; hash: string }>('SELECT leaf_index, position, event_id, hash FROM log_leaves ORDER BY leaf_index DESC LIMIT 1')
      .get();
    if (!last) return checkpoint > 0n ? `no leaf is recorded, yet the log-leaves checkpoint is at position ${checkpoint}` : undefined;
    if (BigInt(last.position) !== checkpoint) return `the last leaf (${last.leaf_index}) is at position ${last.position}, the log-leaves checkpoint at ${checkpoint}`;
    const before = last.leaf_index === 0 ? '0' : db.prepare<[number], string>('SELECT position FROM log_leaves WHERE leaf_index = ?').pluck().get(last.leaf_index - 1);
    if (before === undefined) return `leaf ${last.leaf_index - 1} is missing`;
    const [event] = await store.readAll({ after: BigInt(before), maxCount: 1 });
    if (!event || event.position !== BigInt(last.position) || event.eventId !== last.event_id) {
      return `the last leaf (${last.leaf_index}) was recorded as event ${last.event_id} at position ${last.position}; the log has ${event ? `event ${event.eventId} at position ${event.position}` : 'no event'} there`;
    }
    if (recomputedHash(event) !== last.hash) return `the last leaf (${last.leaf_index}, position ${last.position}) was recorded with another hash than the content of that event gives now: its content changed`;
    return undefined;
  },

  keepAsEvidence(db: Database.Database, reason: string): void {
    const exists = (name: string) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
    if (exists('log_leaves_refused') || !exists('log_leaves')) return;
    db.exec('DROP INDEX IF EXISTS log_leaves_by_event; ALTER TABLE log_leaves RENAME TO log_leaves_refused');
    db.exec('CREATE TABLE log_leaves_refusal (refused_at TEXT NOT NULL, reason TEXT NOT NULL) STRICT');
    db.prepare('INSERT INTO log_leaves_refusal (refused_at, reason) VALUES (?, ?)').run(new Date().toISOString(), reason);
  },
};

type LeafRow = { leafIndex: number; position: string; hash: string };

/** Reads of the recorded leaves (the read models' `log_leaves`), on any connection to the file. */
export function recordedLeaves(db: Database.Database) {
  const from = db.prepare<[number, number], LeafRow>('SELECT leaf_index AS leafIndex, position, hash FROM log_leaves WHERE leaf_index >= ? ORDER BY leaf_index LIMIT ?');
  const hashes = db.prepare<[number], string>('SELECT hash FROM log_leaves ORDER BY leaf_index LIMIT ?').pluck();
  const ofEvent = db.prepare<[string], { leafIndex: number; position: string; hash: string }>('SELECT leaf_index AS leafIndex, position, hash FROM log_leaves WHERE event_id = ?');
  const count = db.prepare<[], number>('SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM log_leaves').pluck();
  return {
    from: (fromIndex: number, max: number): RecordedLeaf[] => from.all(fromIndex, max),
    /** The hashes of the first `size` leaves. */
    hashes: (size: number): string[] => hashes.all(size),
    ofEvent: (eventId: string) => ofEvent.get(eventId),
    count: (): number => count.get() as number,
  };
}

/** The leaves kept from read models refused at start, if any: the log as the service had recorded it. */
export function refusedLeaves(db: Database.Database): { count: number; reason: string; refusedAt: string; read(fromIndex: number, max: number): RecordedLeaf[] } | undefined {
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'log_leaves_refused'").get()) return undefined;
  const refusal = db.prepare<[], { refused_at: string; reason: string }>('SELECT refused_at, reason FROM log_leaves_refusal LIMIT 1').get();
  const read = db.prepare<[number, number], LeafRow>('SELECT leaf_index AS leafIndex, position, hash FROM log_leaves_refused WHERE leaf_index >= ? ORDER BY leaf_index LIMIT ?');
  return {
    count: db.prepare<[], number>('SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM log_leaves_refused').pluck().get() as number,
    reason: refusal?.reason ?? '',
    refusedAt: refusal?.refused_at ?? '',
    read: (fromIndex, max) => read.all(fromIndex, max),
  };
}

/**
 * The record `verify` compares the log with: the leaves kept from refused read models where there
 * are some (the earlier record), else the live ones. In chunks: a long-lived iterator would block
 * the connection the projector writes on.
 */
export async function* recordedLeavesForVerification(db: Database.Database): AsyncGenerator<RecordedLeaf> {
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'log_leaves'").get()) return;
  const refused = refusedLeaves(db);
  const read = refused ? refused.read : recordedLeaves(db).from;
  for (let from = 0; ; ) {
    const rows = read(from, 10_000);
    if (rows.length === 0) return;
    yield* rows;
    from = rows[rows.length - 1].leafIndex + 1;
  }
}

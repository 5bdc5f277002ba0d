import type Database from 'better-sqlite3';
import { StoredEvent } from '@ledger/event-store';
import { eventHash, integrityOf } from '@ledger/integrity';
import { Projection } from './projection';

/**
 * The leaves of the log's Merkle tree as the service saw them arrive: leaf index → position and
 * the event's recorded hash. Proofs and digests are computed from it; `verify` compares the log
 * against it to name the first position where the log no longer is what was recorded.
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
};

import type Database from 'better-sqlite3';
import { Projection } from './projection';

/**
 * Who is on legal hold now: one row per held student, from their hold until it is lifted or their
 * data is erased (an erasure ends the hold). The read side asks it before it opens a student's
 * personal fields for an answer: a held student's are shown to auditors alone.
 */
export const legalHoldsProjection: Projection = {
  name: 'legal-holds',
  version: 1,
  tables: ['students_on_legal_hold'],
  schema: `
    CREATE TABLE IF NOT EXISTS students_on_legal_hold (
      beneficiary_key TEXT    PRIMARY KEY,
      legal_basis     TEXT    NOT NULL,
      reference       TEXT    NOT NULL,
      position        INTEGER NOT NULL,
      recorded_at     TEXT    NOT NULL
    ) STRICT, WITHOUT ROWID;
  `,
  prepare(db: Database.Database) {
    const hold = db.prepare('INSERT OR REPLACE INTO students_on_legal_hold (beneficiary_key, legal_basis, reference, position, recorded_at) VALUES (?, ?, ?, ?, ?)');
    const release = db.prepare('DELETE FROM students_on_legal_hold WHERE beneficiary_key = ?');
    return (event, stored) => {
      if (event.type === 'StudentPlacedOnLegalHold') {
        hold.run(event.data.beneficiary.key, event.data.legalBasis, event.data.reference, stored.position, stored.recordedAt);
      } else if (event.type === 'StudentLegalHoldLifted' || event.type === 'StudentDataErased') {
        release.run(event.data.beneficiary.key);
      }
    };
  },
};

/** A student's legal hold as answers show it. */
export interface LegalHoldView {
  legalBasis: string;
  reference: string;
  /** When the hold was recorded (ISO 8601). */
  since: string;
}

/** The student's legal hold, or undefined when they are on none. */
export function queryLegalHold(db: Database.Database, studentKey: string): LegalHoldView | undefined {
  const row = db
    .prepare<[string], { legal_basis: string; reference: string; recorded_at: string }>('SELECT legal_basis, reference, recorded_at FROM students_on_legal_hold WHERE beneficiary_key = ?')
    .get(studentKey);
  return row && { legalBasis: row.legal_basis, reference: row.reference, since: row.recorded_at };
}

/** The keys of every student on legal hold now (none when the read models have no hold table yet). */
export function studentsOnLegalHold(db: Database.Database): Set<string> {
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'students_on_legal_hold'").get()) return new Set();
  return new Set(db.prepare<[], string>('SELECT beneficiary_key FROM students_on_legal_hold').pluck().all());
}

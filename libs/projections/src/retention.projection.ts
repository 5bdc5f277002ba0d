import type Database from 'better-sqlite3';
import { LocalDate, Money, ProgramRecordDates, RetentionAnchor, parsePeriod } from '@ledger/domain';
import { Projection } from './projection';

/**
 * What retention rules count from: one row per student and program with the end of the last period
 * aided for (approved, paid, reversed, lent for), the last date recorded under it (value dates,
 * approval dates, repayments) and the loans not repaid; and the students whose data was erased.
 * A row per student and program: the list of students due reads it in one pass.
 */
export const retentionProjection: Projection = {
  name: 'retention',
  version: 1,
  tables: ['retention_lines', 'retention_erased'],
  schema: `
    CREATE TABLE IF NOT EXISTS retention_lines (
      beneficiary_key  TEXT    NOT NULL,
      program_code     TEXT    NOT NULL,
      last_period_end  TEXT,
      last_recorded_on TEXT    NOT NULL,
      outstanding_fen  INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (beneficiary_key, program_code)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS retention_erased (
      beneficiary_key TEXT PRIMARY KEY,
      erased_at       TEXT NOT NULL
    ) STRICT, WITHOUT ROWID;
  `,
  prepare(db: Database.Database) {
    // Dates are YYYY-MM-DD: the later one is the larger string (a NULL period end stays NULL only until a period comes).
    const upsert = db.prepare(`
      INSERT INTO retention_lines (beneficiary_key, program_code, last_period_end, last_recorded_on, outstanding_fen)
      VALUES (?, ?, ?, ?, ?)
      ON CONFLICT DO UPDATE SET
        last_period_end  = CASE WHEN last_period_end IS NULL OR excluded.last_period_end > last_period_end THEN coalesce(excluded.last_period_end, last_period_end) ELSE last_period_end END,
        last_recorded_on = max(last_recorded_on, excluded.last_recorded_on),
        outstanding_fen  = outstanding_fen + excluded.outstanding_fen`);
    const erased = db.prepare('INSERT OR IGNORE INTO retention_erased (beneficiary_key, erased_at) VALUES (?, ?)');
    const periodEnd = (period: string) => parsePeriod(period).ends;
    const fen = (amount: string) => Money.parse(amount).fen;

    return (event, stored) => {
      switch (event.type) {
        case 'AidApproved':
          upsert.run(event.data.beneficiary.key, event.data.programCode, periodEnd(event.data.period), event.data.approvedOn, 0n);
          return;
        case 'DisbursementRecorded':
        case 'DisbursementReversed':
          upsert.run(event.data.beneficiary.key, event.data.programCode, periodEnd(event.data.period), event.data.valueDate, 0n);
          return;
        case 'LoanDisbursed':
          upsert.run(event.data.beneficiary.key, event.data.programCode, periodEnd(event.data.period), event.data.valueDate, fen(event.data.amount));
          return;
        case 'LoanRepaymentRecorded':
          upsert.run(event.data.beneficiary.key, event.data.programCode, null, event.data.valueDate, -fen(event.data.amount));
          return;
        case 'StudentDataErased':
          erased.run(event.data.beneficiary.key, stored.recordedAt);
          return;
        default:
          return; // budgets, identifiers linked: nothing a retention rule counts from
      }
    };
  },
};

/** A program's rule as the read side applies it: what it counts from, and the latest anchor it lets go (`latestDueAnchor`). */
export interface RetentionCutoff {
  programCode: string;
  after: RetentionAnchor;
  latestDueAnchor: LocalDate;
}

export interface RetentionCandidates {
  /** Where the retention read model stands in the log: what the answer is as of. */
  position: bigint;
  /** The students not erased, owing no loan, every line of whom is under a program given and anchored on or before its cutoff; by key. */
  students: Array<{ studentKey: string; erased: false; programs: ProgramRecordDates[] }>;
}

/**
 * The students who may be due, in one pass over the rows: those with a line under a program not
 * given (no rule), a loan outstanding, an anchor after its program's cutoff, or an erasure are
 * left out. The rest are for the domain to decide (`decideRetention`).
 */
export function queryRetentionCandidates(db: Database.Database, cutoffs: readonly RetentionCutoff[]): RetentionCandidates {
  const rules = cutoffs.map(() => '(?, ?, ?)').join(', ');
  const anchor = `CASE r.after WHEN 'last_period_end' THEN coalesce(l.last_period_end, l.last_recorded_on)
                  ELSE max(coalesce(l.last_period_end, l.last_recorded_on), l.last_recorded_on) END`;
  const rows = db
    .prepare<unknown[], { beneficiary_key: string; program_code: string; last_period_end: string | null; last_recorded_on: string; outstanding_fen: bigint }>(
      `WITH rules (program_code, after, cutoff) AS (VALUES ${rules}),
       candidates AS (
         SELECT l.beneficiary_key FROM retention_lines l LEFT JOIN rules r ON r.program_code = l.program_code
         GROUP BY l.beneficiary_key
         HAVING max(r.program_code IS NULL OR l.outstanding_fen > 0 OR ${anchor} > r.cutoff) = 0)
       SELECT l.beneficiary_key, l.program_code, l.last_period_end, l.last_recorded_on, l.outstanding_fen
       FROM candidates c JOIN retention_lines l ON l.beneficiary_key = c.beneficiary_key
       WHERE c.beneficiary_key NOT IN (SELECT beneficiary_key FROM retention_erased)
       ORDER BY l.beneficiary_key, l.program_code`,
    )
    .safeIntegers(true)
    .all(...cutoffs.flatMap((cutoff) => [cutoff.programCode, cutoff.after, cutoff.latestDueAnchor]));
  const students: RetentionCandidates['students'] = [];
  for (const row of rows) {
    let student = students[students.length - 1];
    if (student?.studentKey !== row.beneficiary_key) students.push((student = { studentKey: row.beneficiary_key, erased: false, programs: [] }));
    student.programs.push({
      programCode: row.program_code,
      ...(row.last_period_end !== null && { lastPeriodEnd: row.last_period_end as LocalDate }),
      lastRecordedOn: row.last_recorded_on as LocalDate,
      outstandingLoanFen: row.outstanding_fen,
    });
  }
  const checkpoint = db.prepare<[], string>("SELECT position FROM checkpoints WHERE name = 'retention'").pluck().get();
  return { position: BigInt(checkpoint ?? '0'), students };
}

import type Database from 'better-sqlite3';
import { LocalDate, Money, ProgramRecordDates, parsePeriod } from '@ledger/domain';
import { Projection } from './projection';

/**
 * What retention rules count from: one row per student and program with the end of the last period
 * aided for (approved, paid, reversed, lent for), the last date recorded under it (value dates,
 * approval dates, repayments) and the loans not repaid; and the students whose data was erased.
 * Small (a row per student and program), so the list of students due reads it whole.
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

export interface RetentionLines {
  /** Where the retention read model stands in the log: what the answer is as of. */
  position: bigint;
  /** Every student's lines, by student key, those erased included (with `erased`). */
  students: Array<{ studentKey: string; erased: boolean; programs: ProgramRecordDates[] }>;
}

/** The whole retention read model, grouped by student (ordered by key). */
export function queryRetentionLines(db: Database.Database): RetentionLines {
  const rows = db
    .prepare<[], { beneficiary_key: string; program_code: string; last_period_end: string | null; last_recorded_on: string; outstanding_fen: bigint; erased: bigint }>(
      `SELECT l.beneficiary_key, l.program_code, l.last_period_end, l.last_recorded_on, l.outstanding_fen, e.beneficiary_key IS NOT NULL AS erased
       FROM retention_lines l LEFT JOIN retention_erased e ON e.beneficiary_key = l.beneficiary_key
       ORDER BY l.beneficiary_key, l.program_code`,
    )
    .safeIntegers(true)
    .all();
  const students: RetentionLines['students'] = [];
  for (const row of rows) {
    let student = students[students.length - 1];
    if (student?.studentKey !== row.beneficiary_key) students.push((student = { studentKey: row.beneficiary_key, erased: row.erased === 1n, programs: [] }));
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

import type Database from 'better-sqlite3';
import { Money, fiscalYearOf, LocalDate } from '@ledger/domain';
import { Projection } from './projection';

/**
 * Program totals (docs/domain.md#money-and-reporting-conventions). One row per program × fiscal year × period × school × stage ×
 * beneficiary holds that line's counts and integer fen; totals, person-times (人次) and distinct
 * students (人数) are sums and distinct counts over these rows, so any cut is exact.
 *
 * Fiscal year is the calendar year of the value date (approvals: the approval date). A reversal
 * nets against the line and fiscal year of the payment it reverses.
 */
const fen = (amount: string) => Money.parse(amount).fen;
const yearOf = (date: string) => fiscalYearOf(date as LocalDate);

export const programTotalsProjection: Projection = {
  name: 'program-totals',
  version: 1,
  tables: ['aid_lines', 'loan_balances', 'budget_allocations'],
  schema: `
    CREATE TABLE IF NOT EXISTS aid_lines (
      program_code    TEXT    NOT NULL,
      fiscal_year     INTEGER NOT NULL,
      period          TEXT    NOT NULL,
      school_code     TEXT    NOT NULL,
      stage           TEXT    NOT NULL,
      beneficiary_key TEXT    NOT NULL,
      approved_count  INTEGER NOT NULL DEFAULT 0,
      approved_fen    INTEGER NOT NULL DEFAULT 0,
      paid_count      INTEGER NOT NULL DEFAULT 0,
      paid_fen        INTEGER NOT NULL DEFAULT 0,
      reversed_count  INTEGER NOT NULL DEFAULT 0,
      reversed_fen    INTEGER NOT NULL DEFAULT 0,
      repaid_fen      INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (program_code, fiscal_year, period, school_code, stage, beneficiary_key)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS loan_balances (
      loan_id         TEXT    NOT NULL,
      beneficiary_key TEXT    NOT NULL,
      program_code    TEXT    NOT NULL,
      fiscal_year     INTEGER NOT NULL,
      period          TEXT    NOT NULL,
      school_code     TEXT    NOT NULL,
      stage           TEXT    NOT NULL,
      disbursed_fen   INTEGER NOT NULL,
      repaid_fen      INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (beneficiary_key, loan_id)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS budget_allocations (
      program_code   TEXT    NOT NULL,
      fiscal_year    INTEGER NOT NULL,
      funding_source TEXT    NOT NULL,
      allocated_fen  INTEGER NOT NULL,
      allocations    INTEGER NOT NULL,
      PRIMARY KEY (program_code, fiscal_year, funding_source)
    ) STRICT, WITHOUT ROWID;
  `,
  // For the live read models' queries by year; a replay's scratch file does without (it is asked once).
  indexes: 'CREATE INDEX IF NOT EXISTS aid_lines_by_year ON aid_lines (fiscal_year, program_code);',
  prepare(db: Database.Database) {
    // Positional parameters: binding thirteen named ones from a spread object per event cost more than the upsert itself.
    const upsertLine = db.prepare(`
      INSERT INTO aid_lines (program_code, fiscal_year, period, school_code, stage, beneficiary_key,
                             approved_count, approved_fen, paid_count, paid_fen, reversed_count, reversed_fen, repaid_fen)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT DO UPDATE SET
        approved_count = approved_count + excluded.approved_count,
        approved_fen   = approved_fen   + excluded.approved_fen,
        paid_count     = paid_count     + excluded.paid_count,
        paid_fen       = paid_fen       + excluded.paid_fen,
        reversed_count = reversed_count + excluded.reversed_count,
        reversed_fen   = reversed_fen   + excluded.reversed_fen,
        repaid_fen     = repaid_fen     + excluded.repaid_fen`);
    const insertLoan = db.prepare(`
      INSERT INTO loan_balances (loan_id, beneficiary_key, program_code, fiscal_year, period, school_code, stage, disbursed_fen)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    const findLoan = db.prepare<[string, string], { program_code: string; fiscal_year: number; period: string; school_code: string; stage: string }>(
      'SELECT program_code, fiscal_year, period, school_code, stage FROM loan_balances WHERE beneficiary_key = ? AND loan_id = ?',
    );
    const repayLoan = db.prepare('UPDATE loan_balances SET repaid_fen = repaid_fen + ? WHERE beneficiary_key = ? AND loan_id = ?');
    const allocate = db.prepare(`
      INSERT INTO budget_allocations (program_code, fiscal_year, funding_source, allocated_fen, allocations)
      VALUES (?, ?, ?, ?, 1)
      ON CONFLICT DO UPDATE SET allocated_fen = allocated_fen + excluded.allocated_fen, allocations = allocations + 1`);

    type Line = { programCode: string; period: string; schoolCode: string; stage: string; beneficiary: { key: string } };
    type Deltas = { approved?: bigint; paid?: bigint; reversed?: bigint; repaid?: bigint };
    /** Adds to one line (program × year × period × school × stage × student): a count of 1 and the fen for each kind given. */
    const addToLine = (line: Line, year: number, { approved, paid, reversed, repaid }: Deltas) =>
      upsertLine.run(
        line.programCode, year, line.period, line.schoolCode, line.stage, line.beneficiary.key,
        approved === undefined ? 0 : 1, approved ?? 0n,
        paid === undefined ? 0 : 1, paid ?? 0n,
        reversed === undefined ? 0 : 1, reversed ?? 0n,
        repaid ?? 0n,
      );

    return (event) => {
      switch (event.type) {
        case 'AidApproved': {
          const { data } = event;
          addToLine(data, yearOf(data.approvedOn), { approved: fen(data.amount) });
          return;
        }
        case 'DisbursementRecorded': {
          const { data } = event;
          addToLine(data, yearOf(data.valueDate), { paid: fen(data.amount) });
          return;
        }
        case 'DisbursementReversed': {
          const { data } = event;
          addToLine(data, yearOf(data.originalValueDate), { reversed: fen(data.amount) });
          return;
        }
        case 'LoanDisbursed': {
          const { data } = event;
          const year = yearOf(data.valueDate);
          addToLine(data, year, { paid: fen(data.amount) });
          insertLoan.run(data.loanId, data.beneficiary.key, data.programCode, year, data.period, data.schoolCode, data.stage, fen(data.amount));
          return;
        }
        case 'LoanRepaymentRecorded': {
          const { data } = event;
          const loan = findLoan.get(data.beneficiary.key, data.loanId);
          if (!loan) return; // the decider never records one; an imported history might
          repayLoan.run(fen(data.amount), data.beneficiary.key, data.loanId);
          addToLine(
            { programCode: loan.program_code, period: loan.period, schoolCode: loan.school_code, stage: loan.stage, beneficiary: data.beneficiary },
            loan.fiscal_year,
            { repaid: fen(data.amount) },
          );
          return;
        }
        case 'StudentIdentifierLinked':
        case 'StudentDataErased':
        case 'StudentPlacedOnLegalHold':
        case 'StudentLegalHoldLifted':
          return; // who is who, not money: the student's history shows it (an erasure or a hold changes no amount)
        case 'BudgetAllocated': {
          const { data } = event;
          allocate.run(data.programCode, data.fiscalYear, data.fundingSource, fen(data.amount));
          return;
        }
        default: {
          const unreachable: never = event;
          return unreachable;
        }
      }
    };
  },
};

import type Database from 'better-sqlite3';
import { Money } from '@ledger/domain';

/** Read-side questions over the projected tables. Amounts leave here as Money, never as numbers. */

export const TOTALS_GROUPINGS = ['school', 'stage', 'period'] as const;
export type TotalsGrouping = (typeof TOTALS_GROUPINGS)[number];

export interface TotalsFilter {
  fiscalYear?: number;
  programCode?: string;
  schoolCode?: string;
  stage?: string;
  period?: string;
  groupBy?: TotalsGrouping;
}

export interface ProgramTotals {
  programCode: string;
  fiscalYear: number;
  /** The value of the grouping column for this row, when grouped. */
  group?: { school?: string; stage?: string; period?: string };
  approved: { personTimes: number; students: number; amount: Money };
  paid: { personTimes: number; amount: Money };
  reversed: { personTimes: number; amount: Money };
  /** Paid less reversed: what the beneficiaries kept. Students counts those with a net payment. */
  net: { personTimes: number; students: number; amount: Money };
  loans: { repaid: Money; outstanding: Money };
  /** Allocated budget of the program and fiscal year (ungrouped rows only). */
  budgetAllocated?: Money;
}

const GROUP_COLUMNS: Record<TotalsGrouping, string> = { school: 'school_code', stage: 'stage', period: 'period' };

interface TotalsRow {
  program_code: string;
  fiscal_year: bigint;
  group_value: string | null;
  approved_count: bigint;
  approved_students: bigint;
  approved_fen: bigint;
  paid_count: bigint;
  paid_fen: bigint;
  reversed_count: bigint;
  reversed_fen: bigint;
  net_students: bigint;
  repaid_fen: bigint;
}

export function queryProgramTotals(db: Database.Database, filter: TotalsFilter = {}): ProgramTotals[] {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  const add = (column: string, key: keyof TotalsFilter) => {
    if (filter[key] === undefined) return;
    where.push(`${column} = @${key}`);
    params[key] = filter[key];
  };
  add('fiscal_year', 'fiscalYear');
  add('program_code', 'programCode');
  add('school_code', 'schoolCode');
  add('stage', 'stage');
  add('period', 'period');
  const groupColumn = filter.groupBy ? GROUP_COLUMNS[filter.groupBy] : undefined;
  const sql = `
    SELECT program_code, fiscal_year, ${groupColumn ?? 'NULL'} AS group_value,
      SUM(approved_count) AS approved_count,
      COUNT(DISTINCT CASE WHEN approved_count > 0 THEN beneficiary_key END) AS approved_students,
      SUM(approved_fen) AS approved_fen,
      SUM(paid_count) AS paid_count, SUM(paid_fen) AS paid_fen,
      SUM(reversed_count) AS reversed_count, SUM(reversed_fen) AS reversed_fen,
      COUNT(DISTINCT CASE WHEN paid_count > reversed_count THEN beneficiary_key END) AS net_students,
      SUM(repaid_fen) AS repaid_fen
    FROM aid_lines
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    GROUP BY program_code, fiscal_year${groupColumn ? `, ${groupColumn}` : ''}
    ORDER BY fiscal_year, program_code${groupColumn ? `, ${groupColumn}` : ''}`;
  const rows = db.prepare<[Record<string, unknown>], TotalsRow>(sql).safeIntegers(true).all(params);
  const totals = rows.map((row): ProgramTotals => {
    const paid = Money.fromFen(row.paid_fen);
    const reversed = Money.fromFen(row.reversed_fen);
    const repaid = Money.fromFen(row.repaid_fen);
    const net = paid.minus(reversed);
    return {
      programCode: row.program_code,
      fiscalYear: Number(row.fiscal_year),
      ...(filter.groupBy && { group: { [filter.groupBy]: row.group_value ?? '' } }),
      approved: { personTimes: Number(row.approved_count), students: Number(row.approved_students), amount: Money.fromFen(row.approved_fen) },
      paid: { personTimes: Number(row.paid_count), amount: paid },
      reversed: { personTimes: Number(row.reversed_count), amount: reversed },
      net: { personTimes: Number(row.paid_count - row.reversed_count), students: Number(row.net_students), amount: net },
      loans: { repaid, outstanding: net.minus(repaid) },
    };
  });
  if (filter.groupBy || filter.schoolCode || filter.stage || filter.period) return totals;
  return withBudgets(db, totals, filter);
}

function withBudgets(db: Database.Database, totals: ProgramTotals[], filter: TotalsFilter): ProgramTotals[] {
  const budgets = queryBudgets(db, filter);
  const byKey = new Map(totals.map((row) => [`${row.programCode}|${row.fiscalYear}`, row]));
  for (const budget of budgets) {
    const key = `${budget.programCode}|${budget.fiscalYear}`;
    const row = byKey.get(key);
    if (row) row.budgetAllocated = (row.budgetAllocated ?? Money.ZERO).plus(budget.allocated);
    else {
      const empty = { personTimes: 0, amount: Money.ZERO };
      const created: ProgramTotals = {
        programCode: budget.programCode,
        fiscalYear: budget.fiscalYear,
        approved: { ...empty, students: 0 },
        paid: empty,
        reversed: empty,
        net: { ...empty, students: 0 },
        loans: { repaid: Money.ZERO, outstanding: Money.ZERO },
        budgetAllocated: budget.allocated,
      };
      byKey.set(key, created);
      totals.push(created);
    }
  }
  for (const row of totals) row.budgetAllocated ??= Money.ZERO;
  return totals.sort((a, b) => a.fiscalYear - b.fiscalYear || a.programCode.localeCompare(b.programCode));
}

export interface BudgetLine {
  programCode: string;
  fiscalYear: number;
  fundingSource: string;
  allocated: Money;
  allocations: number;
}

export function queryBudgets(db: Database.Database, filter: Pick<TotalsFilter, 'fiscalYear' | 'programCode'> = {}): BudgetLine[] {
  const rows = db
    .prepare<[Record<string, unknown>], { program_code: string; fiscal_year: bigint; funding_source: string; allocated_fen: bigint; allocations: bigint }>(
      `SELECT * FROM budget_allocations
       WHERE (@fiscalYear IS NULL OR fiscal_year = @fiscalYear) AND (@programCode IS NULL OR program_code = @programCode)
       ORDER BY fiscal_year, program_code, funding_source`,
    )
    .safeIntegers(true)
    .all({ fiscalYear: filter.fiscalYear ?? null, programCode: filter.programCode ?? null });
  return rows.map((row) => ({
    programCode: row.program_code,
    fiscalYear: Number(row.fiscal_year),
    fundingSource: row.funding_source,
    allocated: Money.fromFen(row.allocated_fen),
    allocations: Number(row.allocations),
  }));
}

export interface HistoryEntry {
  position: bigint;
  eventId: string;
  type: string;
  data: unknown;
  /** Who recorded the event; `via` when it came from a command on the machine (the CLI), not over HTTP. */
  actor: { id: string; role: string; via?: { channel: string; osUser: string; host: string } } | null;
  recordedAt: string;
}

export function queryBeneficiaryHistory(db: Database.Database, beneficiaryKey: string): HistoryEntry[] {
  return db
    .prepare<[string], { position: bigint; event_id: string; type: string; data: string; actor: string | null; recorded_at: string }>(
      'SELECT position, event_id, type, data, actor, recorded_at FROM beneficiary_events WHERE beneficiary_key = ? ORDER BY position',
    )
    .safeIntegers(true)
    .all(beneficiaryKey)
    .map((row) => ({
      position: row.position,
      eventId: row.event_id,
      type: row.type,
      data: JSON.parse(row.data),
      actor: row.actor ? JSON.parse(row.actor) : null,
      recordedAt: row.recorded_at,
    }));
}

/** Every name recorded for a student's record (in any of its events), for masking free text about the student. */
export function queryStudentNames(db: Database.Database, beneficiaryKey: string): string[] {
  return db
    .prepare<[string], string>(
      "SELECT DISTINCT json_extract(data, '$.beneficiary.name') FROM beneficiary_events WHERE beneficiary_key = ? AND json_extract(data, '$.beneficiary.name') IS NOT NULL",
    )
    .pluck()
    .all(beneficiaryKey);
}

export interface DisbursementView {
  disbursementId: string;
  beneficiaryKey: string;
  programCode: string;
  period: string;
  schoolCode: string;
  stage: string;
  amount: Money;
  payeeType: string;
  valueDate: string;
  position: bigint;
  recordedAt: string;
  status: 'paid' | 'reversed';
  reversal?: { reason: string; reasonCode: string; position: bigint };
}

/** Every payment with this id (ids are chosen per student, so more than one student may use one). */
export function queryDisbursements(db: Database.Database, disbursementId: string): DisbursementView[] {
  return db
    .prepare<[string], Record<string, unknown>>('SELECT * FROM disbursements WHERE disbursement_id = ? ORDER BY position')
    .safeIntegers(true)
    .all(disbursementId)
    .map((row) => ({
      disbursementId: row.disbursement_id as string,
      beneficiaryKey: row.beneficiary_key as string,
      programCode: row.program_code as string,
      period: row.period as string,
      schoolCode: row.school_code as string,
      stage: row.stage as string,
      amount: Money.fromFen(row.amount_fen as bigint),
      payeeType: row.payee_type as string,
      valueDate: row.value_date as string,
      position: row.position as bigint,
      recordedAt: row.recorded_at as string,
      status: row.status as 'paid' | 'reversed',
      ...(row.status === 'reversed' && {
        reversal: { reason: row.reversal_reason as string, reasonCode: row.reversal_reason_code as string, position: row.reversal_position as bigint },
      }),
    }));
}

/** Every row of every read-model table, in primary-key order: to compare a rebuild with the live models. */
export function dumpTables(db: Database.Database, tables: readonly string[]): Record<string, unknown[]> {
  const dump: Record<string, unknown[]> = {};
  for (const table of tables) {
    const columns = db.prepare(`SELECT COUNT(*) AS n FROM pragma_table_info('${table}')`).pluck().get() as number;
    const everyColumn = Array.from({ length: columns }, (_, i) => i + 1).join(', ');
    dump[table] = db.prepare(`SELECT * FROM ${table} ORDER BY ${everyColumn}`).safeIntegers(true).all();
  }
  return dump;
}

export interface LoanView {
  loanId: string;
  beneficiaryKey: string;
  programCode: string;
  period: string;
  disbursed: Money;
  repaid: Money;
  outstanding: Money;
}

export function queryLoans(db: Database.Database, loanId: string): LoanView[] {
  return db
    .prepare<[string], { loan_id: string; beneficiary_key: string; program_code: string; period: string; disbursed_fen: bigint; repaid_fen: bigint }>(
      'SELECT * FROM loan_balances WHERE loan_id = ? ORDER BY beneficiary_key',
    )
    .safeIntegers(true)
    .all(loanId)
    .map((row) => ({
      loanId: row.loan_id,
      beneficiaryKey: row.beneficiary_key,
      programCode: row.program_code,
      period: row.period,
      disbursed: Money.fromFen(row.disbursed_fen),
      repaid: Money.fromFen(row.repaid_fen),
      outstanding: Money.fromFen(row.disbursed_fen - row.repaid_fen),
    }));
}

/** The records whose personal data was erased (their data keys must stay destroyed, whatever key store a restore brought back). */
export function queryErasedStudents(db: Database.Database): string[] {
  return db.prepare<[], string>("SELECT DISTINCT beneficiary_key FROM beneficiary_events WHERE type = 'StudentDataErased'").pluck().all();
}

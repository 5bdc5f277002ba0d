import type Database from 'better-sqlite3';
import {
  Anomaly,
  AnomalyKind,
  DomainError,
  LocalDate,
  Money,
  ProgramCatalog,
  duplicatedPayments,
  exclusiveCounterparts,
  fiscalYearOf,
  loanOverYearlyCap,
  parsePeriod,
  requireOpen,
  requireStage,
  requireWithinStandard,
} from '@ledger/domain';
import { Projection } from './projection';

const KIND_OF_RULE: Record<string, AnomalyKind> = {
  AMOUNT_OFF_STANDARD: 'AMOUNT_OFF_STANDARD',
  AMOUNT_OVER_CAP: 'AMOUNT_OVER_CAP',
  AMOUNT_NOT_POSITIVE: 'AMOUNT_OFF_STANDARD',
  STAGE_NOT_ELIGIBLE: 'STAGE_NOT_ELIGIBLE',
  PROGRAM_NOT_OPEN: 'PROGRAM_NOT_IN_CATALOG',
  PERIOD_BASIS_MISMATCH: 'PROGRAM_NOT_IN_CATALOG',
  PERIOD_INVALID: 'PROGRAM_NOT_IN_CATALOG',
};

/**
 * The anomaly report as a read model: each event is checked, as it comes, with the domain's own
 * rules against what the log already holds; anomalies are rows naming their events. Over-budget
 * needs the whole year, so it is answered at query time (queryAnomalies).
 *
 * What is an anomaly is the domain's to say: the catalog rules of aid-rules.ts and the history rules
 * of history-rules.ts, the ones the decider refuses commands by. The SQL here only finds what they
 * are asked about: the student's payments of the period, their loans of the program and school year.
 */
export function anomaliesProjection(catalog: ProgramCatalog): Projection {
  return {
    name: 'anomalies',
    version: 1,
    tables: ['anomalies', 'audit_payments', 'audit_loans', 'audit_budget'],
    schema: `
      CREATE TABLE IF NOT EXISTS anomalies (
        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, program_code TEXT NOT NULL, beneficiary_key TEXT,
        period TEXT, fiscal_year INTEGER, detail TEXT NOT NULL, positions TEXT NOT NULL) STRICT;
      CREATE TABLE IF NOT EXISTS audit_payments (
        beneficiary_key TEXT NOT NULL, disbursement_id TEXT NOT NULL, program_code TEXT NOT NULL, period TEXT NOT NULL,
        fiscal_year INTEGER NOT NULL, amount_fen INTEGER NOT NULL, position INTEGER NOT NULL,
        reversals TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (beneficiary_key, disbursement_id)) STRICT;
      CREATE INDEX IF NOT EXISTS audit_payments_by_student ON audit_payments (beneficiary_key, period);
      CREATE TABLE IF NOT EXISTS audit_loans (
        beneficiary_key TEXT NOT NULL, loan_id TEXT NOT NULL, program_code TEXT NOT NULL, period TEXT NOT NULL,
        amount_fen INTEGER NOT NULL, position TEXT NOT NULL, PRIMARY KEY (beneficiary_key, loan_id)) STRICT;
      CREATE TABLE IF NOT EXISTS audit_budget (
        program_code TEXT NOT NULL, fiscal_year INTEGER NOT NULL, amount_fen INTEGER NOT NULL, position TEXT NOT NULL) STRICT;
    `,
    prepare(db: Database.Database) {
      const addAnomaly = db.prepare(
        'INSERT INTO anomalies (kind, program_code, beneficiary_key, period, fiscal_year, detail, positions) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      const flag = (anomaly: Anomaly) =>
        addAnomaly.run(anomaly.kind, anomaly.programCode, anomaly.beneficiaryKey ?? null, anomaly.period ?? null, anomaly.fiscalYear ?? null, anomaly.detail, JSON.stringify(anomaly.positions));
      const paymentsInPeriod = db.prepare<[string, string], { program_code: string; period: string; position: string; reversals: string }>(
        'SELECT program_code, period, CAST(position AS TEXT) AS position, reversals FROM audit_payments WHERE beneficiary_key = ? AND period = ? ORDER BY position',
      );
      const addPayment = db.prepare(
        'INSERT OR IGNORE INTO audit_payments (beneficiary_key, disbursement_id, program_code, period, fiscal_year, amount_fen, position) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      const payment = db.prepare<[string, string], { position: string; reversals: string }>(
        'SELECT CAST(position AS TEXT) AS position, reversals FROM audit_payments WHERE beneficiary_key = ? AND disbursement_id = ?',
      );
      const setReversals = db.prepare('UPDATE audit_payments SET reversals = ? WHERE beneficiary_key = ? AND disbursement_id = ?');
      const loansInYear = db.prepare<[string, string, string], { program_code: string; period: string; position: string; amount_fen: bigint }>(
        'SELECT program_code, period, position, amount_fen FROM audit_loans WHERE beneficiary_key = ? AND program_code = ? AND period = ?',
      ).safeIntegers(true);
      const addLoan = db.prepare('INSERT OR IGNORE INTO audit_loans (beneficiary_key, loan_id, program_code, period, amount_fen, position) VALUES (?, ?, ?, ?, ?, ?)');
      const addBudget = db.prepare('INSERT INTO audit_budget (program_code, fiscal_year, amount_fen, position) VALUES (?, ?, ?, ?)');

      /** The catalog rules of one payment line, as anomalies instead of refusals. */
      const catalogAnomaly = (line: { programCode: string; period: string; stage: string; amount: string; beneficiary: { key: string } }, position: string, checkAmount: boolean): Anomaly | undefined => {
        const base = { programCode: line.programCode, beneficiaryKey: line.beneficiary.key, period: line.period, positions: [position] };
        const program = catalog.program(line.programCode);
        if (!program) return { ...base, kind: 'PROGRAM_NOT_IN_CATALOG', detail: `${line.programCode} is not in the catalog` };
        try {
          const period = parsePeriod(line.period);
          requireOpen(program, period);
          requireStage(program, line.stage as never);
          if (checkAmount) requireWithinStandard(program, period, line.stage as never, Money.parse(line.amount));
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          return { ...base, kind: KIND_OF_RULE[error.code] ?? 'PROGRAM_NOT_IN_CATALOG', detail: error.message };
        }
        return undefined;
      };

      return (event, stored) => {
        const position = stored.position.toString();
        switch (event.type) {
          case 'DisbursementRecorded': {
            const { data } = event;
            const key = data.beneficiary.key;
            const line = catalogAnomaly(data, position, true);
            if (line) flag(line);
            const record = paymentsInPeriod.all(key, data.period).map((row) => ({ programCode: row.program_code, period: row.period, position: row.position, reversed: row.reversals !== '[]' }));
            const same = duplicatedPayments(data, record);
            if (same.length > 0) {
              flag({ kind: 'DUPLICATE_PAYMENT', programCode: data.programCode, beneficiaryKey: key, period: data.period, detail: `${data.programCode} paid ${same.length + 1} times for ${data.period}`, positions: [...same.map((other) => other.position), position] });
            }
            for (const other of exclusiveCounterparts(catalog, data, record)) {
              flag({ kind: 'EXCLUSIVE_PROGRAMS_PAID_TOGETHER', programCode: data.programCode, beneficiaryKey: key, period: data.period, detail: `${data.programCode} and ${other.programCode} both paid for ${data.period}`, positions: [other.position, position] });
            }
            addPayment.run(key, data.disbursementId, data.programCode, data.period, fiscalYearOf(data.valueDate as LocalDate), Money.parse(data.amount).fen, stored.position);
            return;
          }
          case 'DisbursementReversed': {
            const { data } = event;
            const key = data.beneficiary.key;
            const original = payment.get(key, data.disbursementId);
            if (!original) {
              flag({ kind: 'REVERSAL_OF_REVERSED', programCode: data.programCode, beneficiaryKey: key, period: data.period, detail: `reversal of disbursement ${data.disbursementId}, which was never recorded`, positions: [position] });
              return;
            }
            const reversals = JSON.parse(original.reversals) as string[];
            if (reversals.length > 0) {
              flag({ kind: 'REVERSAL_OF_REVERSED', programCode: data.programCode, beneficiaryKey: key, period: data.period, detail: `disbursement ${data.disbursementId} reversed again`, positions: [original.position, ...reversals, position] });
            }
            setReversals.run(JSON.stringify([...reversals, position]), key, data.disbursementId);
            return;
          }
          case 'LoanDisbursed': {
            const { data } = event;
            const key = data.beneficiary.key;
            const line = catalogAnomaly(data, position, false);
            if (line) flag(line);
            const program = catalog.program(data.programCode);
            if (program) {
              const record = loansInYear.all(key, data.programCode, data.period).map((row) => ({ programCode: row.program_code, period: row.period, position: row.position, amount: Money.fromFen(row.amount_fen) }));
              try {
                const excess = loanOverYearlyCap(program, parsePeriod(data.period), data.stage, Money.parse(data.amount), record);
                if (excess) {
                  flag({ kind: 'LOAN_OVER_YEARLY_CAP', programCode: data.programCode, beneficiaryKey: key, period: data.period, detail: `¥${excess.total} lent in ${data.period}, cap ¥${excess.cap}`, positions: [...excess.counted.map((loan) => loan.position), position] });
                }
              } catch (error) {
                if (!(error instanceof DomainError)) throw error;
              }
            }
            addLoan.run(key, data.loanId, data.programCode, data.period, Money.parse(data.amount).fen, position);
            return;
          }
          case 'BudgetAllocated':
            addBudget.run(event.data.programCode, event.data.fiscalYear, Money.parse(event.data.amount).fen, position);
            return;
          default:
            return;
        }
      };
    },
  };
}

/** Every anomaly, those found event by event and the over-budget years, in log order. */
export function queryAnomalies(db: Database.Database): Anomaly[] {
  const found = db
    .prepare<[], { kind: AnomalyKind; program_code: string; beneficiary_key: string | null; period: string | null; fiscal_year: number | null; detail: string; positions: string }>(
      'SELECT * FROM anomalies ORDER BY id',
    )
    .all()
    .map((row): Anomaly => ({
      kind: row.kind,
      detail: row.detail,
      programCode: row.program_code,
      ...(row.beneficiary_key && { beneficiaryKey: row.beneficiary_key }),
      ...(row.period && { period: row.period }),
      ...(row.fiscal_year !== null && { fiscalYear: row.fiscal_year }),
      positions: JSON.parse(row.positions),
    }));
  const budgets = db
    .prepare<[], { program_code: string; fiscal_year: number; allocated: bigint; positions: string }>(
      "SELECT program_code, fiscal_year, SUM(amount_fen) AS allocated, json_group_array(position) AS positions FROM audit_budget GROUP BY program_code, fiscal_year",
    )
    .safeIntegers(true)
    .all();
  const payments = db.prepare<[string, number], { amount_fen: bigint; position: string }>(
    "SELECT amount_fen, CAST(position AS TEXT) AS position FROM audit_payments WHERE program_code = ? AND fiscal_year = ? AND reversals = '[]' ORDER BY position",
  ).safeIntegers(true);
  for (const budget of budgets) {
    let paid = 0n;
    const over: string[] = [];
    for (const row of payments.all(budget.program_code, Number(budget.fiscal_year))) {
      paid += row.amount_fen;
      if (paid > budget.allocated) over.push(row.position);
    }
    if (over.length > 0) {
      found.push({
        kind: 'OVER_BUDGET',
        programCode: budget.program_code,
        fiscalYear: Number(budget.fiscal_year),
        detail: `¥${Money.fromFen(paid)} paid against ¥${Money.fromFen(budget.allocated)} allocated for ${budget.fiscal_year}; ${over.length} payment(s) beyond it`,
        positions: [...(JSON.parse(budget.positions) as string[]), ...over],
      });
    }
  }
  return found.sort((a, b) => (BigInt(a.positions.at(-1)!) < BigInt(b.positions.at(-1)!) ? -1 : 1));
}


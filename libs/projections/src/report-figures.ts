import type Database from 'better-sqlite3';
import { Money } from '@ledger/domain';

/**
 * What the ledger holds for a declared line: distinct students and person-times and the net amount
 * of the given programs, by value date (approvals by approval date) within a window, reversals
 * netted against the payments they reverse.
 */
export interface FigureQuery {
  programs: string[];
  basis: 'paid' | 'approved';
  from?: string;
  to?: string;
}

export interface LedgerFigures {
  persons: number;
  personTimes: number;
  amount: Money;
}

export function queryLedgerFigures(db: Database.Database, query: FigureQuery): LedgerFigures {
  const types = query.basis === 'approved' ? ['AidApproved'] : ['DisbursementRecorded', 'LoanDisbursed', 'DisbursementReversed'];
  const rows = db
    .prepare<unknown[], { beneficiary_key: string; type: string; data: string }>(
      `SELECT beneficiary_key, type, data FROM beneficiary_events
       WHERE type IN (${types.map(() => '?').join(',')}) AND json_extract(data, '$.programCode') IN (${query.programs.map(() => '?').join(',')})
       ORDER BY position`,
    )
    .all(...types, ...query.programs);
  const inWindow = (date: string) => (!query.from || date >= query.from) && (!query.to || date <= query.to);
  const perStudent = new Map<string, number>();
  let amount = 0n;
  let personTimes = 0;
  for (const row of rows) {
    const data = JSON.parse(row.data) as { amount: string; valueDate?: string; approvedOn?: string; originalValueDate?: string };
    const date = row.type === 'AidApproved' ? data.approvedOn! : row.type === 'DisbursementReversed' ? data.originalValueDate! : data.valueDate!;
    if (!inWindow(date)) continue;
    const sign = row.type === 'DisbursementReversed' ? -1 : 1;
    amount += BigInt(sign) * Money.parse(data.amount).fen;
    personTimes += sign;
    perStudent.set(row.beneficiary_key, (perStudent.get(row.beneficiary_key) ?? 0) + sign);
  }
  return { persons: [...perStudent.values()].filter((count) => count > 0).length, personTimes, amount: Money.fromFen(amount) };
}

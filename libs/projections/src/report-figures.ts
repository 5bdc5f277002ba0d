import type Database from 'better-sqlite3';
import { AidEvent, HeldFigures, Holding, Money } from '@ledger/domain';
import { valueDateOf } from './replay';

/**
 * What the ledger holds for a declared line: distinct students and person-times and the net amount
 * of the given programs, by value date (approvals by approval date) within a window, reversals
 * netted against the payments they reverse — in all and by program × period × stage, so that a
 * difference with the report can be explained part by part.
 */
export interface FigureQuery {
  programs: string[];
  basis: 'paid' | 'approved';
  /** Window on the date that fixes the fiscal year: the value date, the approval date, a reversal's payment's value date. */
  from?: string;
  to?: string;
  /** Only what was valued on or before this day, as "valued up to" counts it (a reversal from its own value date). */
  valuedUpTo?: string;
}

export interface LedgerFigures extends HeldFigures {
  /** The students with a net payment (or approval) among them. */
  students: ReadonlySet<string>;
}

/** Net count per student: a payment counts 1, its reversal −1. */
class Tally {
  readonly perStudent = new Map<string, number>();
  personTimes = 0;
  fen = 0n;
  add(student: string, sign: number, fen: bigint) {
    this.perStudent.set(student, (this.perStudent.get(student) ?? 0) + sign);
    this.personTimes += sign;
    this.fen += BigInt(sign) * fen;
  }
  students(): string[] {
    return [...this.perStudent].filter(([, count]) => count > 0).map(([student]) => student);
  }
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
  const all = new Tally();
  const groups = new Map<string, { programCode: string; period: string; stage: string; tally: Tally }>();
  const stages = new Map<string, Tally>();
  for (const row of rows) {
    const event = { type: row.type, data: JSON.parse(row.data) } as AidEvent & { data: { amount: string; programCode: string; period: string; stage: string } };
    const data = event.data as { approvedOn?: string; valueDate?: string; originalValueDate?: string };
    const date = event.type === 'AidApproved' ? data.approvedOn! : event.type === 'DisbursementReversed' ? data.originalValueDate! : data.valueDate!;
    if (!inWindow(date)) continue;
    if (query.valuedUpTo && (valueDateOf(event) ?? query.valuedUpTo) > query.valuedUpTo) continue;
    const sign = event.type === 'DisbursementReversed' ? -1 : 1;
    const fen = Money.parse(event.data.amount).fen;
    const { programCode, period, stage } = event.data;
    all.add(row.beneficiary_key, sign, fen);
    const key = `${programCode}|${period}|${stage}`;
    if (!groups.has(key)) groups.set(key, { programCode, period, stage, tally: new Tally() });
    groups.get(key)!.tally.add(row.beneficiary_key, sign, fen);
    if (!stages.has(stage)) stages.set(stage, new Tally());
    stages.get(stage)!.add(row.beneficiary_key, sign, fen);
  }
  const holdings: Holding[] = [...groups.values()]
    .filter(({ tally }) => tally.personTimes !== 0 || tally.fen !== 0n)
    .map(({ programCode, period, stage, tally }) => ({ programCode, period, stage, persons: tally.students().length, personTimes: tally.personTimes, amount: Money.fromFen(tally.fen) }));
  const students = new Set(all.students());
  return {
    persons: students.size,
    personTimes: all.personTimes,
    amount: Money.fromFen(all.fen),
    holdings,
    personsByStage: Object.fromEntries([...stages].map(([stage, tally]) => [stage, tally.students().length])),
    students,
  };
}

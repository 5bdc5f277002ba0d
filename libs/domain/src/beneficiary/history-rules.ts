import { Period } from '../calendar';
import { Program, ProgramCatalog, areExclusive } from '../catalog';
import { Money } from '../money';
import { Stage } from '../stages';
import { yearlyLoanCap } from './aid-rules';

/**
 * The rules that compare a new line of aid with what a student's record already holds. The decider
 * refuses a command that breaks one; the anomaly report flags the events of a history that broke
 * one (imported, or recorded under an older rule). Both ask these functions, so a rule changed here
 * changes both. Each takes the record's lines as the caller holds them and returns those at fault,
 * in the order given.
 */

/** One line of the record as these rules see it: its program and period. */
export interface LineInRecord {
  readonly programCode: string;
  readonly period: string;
}

/** A payment in the record: a reversed one no longer counts as paid. */
export interface PaymentInRecord extends LineInRecord {
  readonly reversed: boolean;
}

/** A loan in the record, with the amount lent. */
export interface LoanInRecord extends LineInRecord {
  readonly amount: Money;
}

/**
 * The payments a new payment would duplicate: those of the same program and period not reversed.
 * A student is paid a program once per period; to pay again, the first payment is reversed.
 */
export function duplicatedPayments<P extends PaymentInRecord>(payment: LineInRecord, record: Iterable<P>): P[] {
  const duplicated: P[] = [];
  for (const other of record) {
    if (!other.reversed && other.programCode === payment.programCode && other.period === payment.period) duplicated.push(other);
  }
  return duplicated;
}

/**
 * The lines of the record (approvals, payments) that a new line of another program breaks
 * exclusivity with: of the same period, of a program the catalog says excludes the new one, and not
 * reversed. A program the catalog does not know excludes nothing.
 */
export function exclusiveCounterparts<L extends LineInRecord & { readonly reversed?: boolean }>(
  catalog: Pick<ProgramCatalog, 'program'>,
  line: LineInRecord,
  record: Iterable<L>,
): L[] {
  const program = catalog.program(line.programCode);
  if (!program) return [];
  const excluding: L[] = [];
  for (const other of record) {
    if (other.reversed || other.period !== line.period || other.programCode === program.code) continue;
    const otherProgram = catalog.program(other.programCode);
    if (otherProgram && areExclusive(program, otherProgram)) excluding.push(other);
  }
  return excluding;
}

/** How a new loan stands against its program's yearly cap. */
export interface LoanCapExcess<L extends LoanInRecord> {
  /** The most the student may borrow under the program in the school year, at their stage. */
  readonly cap: Money;
  /** The loans of the record counted against it: same program, same school year. */
  readonly counted: L[];
  /** What those loans lent. */
  readonly borrowed: Money;
  /** What would be lent with the new loan. */
  readonly total: Money;
}

/**
 * Whether a new loan takes the student's borrowing under its program in the school year over the
 * yearly cap for their stage: the excess when it does, undefined when it stays within. Throws
 * ProgramNotOpen when the program has no cap for that stage and year.
 */
export function loanOverYearlyCap<L extends LoanInRecord>(
  program: Program,
  period: Period,
  stage: Stage,
  amount: Money,
  record: Iterable<L>,
): LoanCapExcess<L> | undefined {
  const cap = yearlyLoanCap(program, period, stage);
  const counted: L[] = [];
  for (const loan of record) if (loan.programCode === program.code && loan.period === period.id) counted.push(loan);
  const borrowed = Money.sum(counted.map((loan) => loan.amount));
  const total = borrowed.plus(amount);
  return total.greaterThan(cap) ? { cap, counted, borrowed, total } : undefined;
}

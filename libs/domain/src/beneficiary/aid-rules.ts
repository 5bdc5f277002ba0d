import { LocalDate, Period, PeriodBasis } from '../calendar';
import { Program, ProgramCatalog, datingWindowFor, isOpenFor, standardFor } from '../catalog';
import {
  AmountOffStandard,
  AmountOverCap,
  DateInFuture,
  DateOutsidePeriod,
  PayeeNotAllowed,
  PeriodBasisMismatch,
  ProgramNotOpen,
  StageNotEligible,
  UnknownProgram,
} from '../errors';
import { Money } from '../money';
import { Stage } from '../stages';
import { PayeeType } from '../catalog';

/**
 * The rules a single aid line must pass against the catalog, whatever the command:
 * program known and open in that period, stage eligible, period of the program's basis, amount
 * positive and within the standard. Rules that need the beneficiary's history (double payment,
 * exclusions, loan caps) live in the decider beside this file.
 */

export function requireProgram(catalog: ProgramCatalog, code: string, field = 'programCode'): Program {
  const program = catalog.program(code);
  if (!program) throw new UnknownProgram(`unknown program "${code}"`, field);
  return program;
}

export function requirePeriodBasis(program: Program, period: Period, field = 'period'): void {
  if (period.basis !== program.period) {
    const expected: Record<PeriodBasis, string> = { term: 'a term like "2022-autumn"', school_year: 'a school year like "2022-2023"' };
    throw new PeriodBasisMismatch(`${program.code} is paid per ${program.period.replace('_', ' ')}: period must be ${expected[program.period]}`, field);
  }
}

export function requireOpen(program: Program, period: Period, field = 'period'): void {
  if (!isOpenFor(program, period)) {
    const until = program.openUntil ? ` until ${program.openUntil}` : '';
    throw new ProgramNotOpen(`${program.code} is not open for ${period.id} (open from ${program.openFrom}${until})`, field);
  }
}

/**
 * A payment, loan or approval is dated within its period's window (catalog `datingWindows`): a date
 * far from the period is a typo, and would count in another fiscal year.
 */
export function requireDatedWithinPeriod(catalog: Pick<ProgramCatalog, 'datingWindows'>, period: Period, date: LocalDate, field: string): void {
  const { from, until } = datingWindowFor(catalog, period);
  if (date < from || date > until) {
    throw new DateOutsidePeriod(`${field} ${date} is outside what ${period.id} may be dated: from ${from} to ${until}`, field);
  }
}

/**
 * A value date (the day money moved: a payment, a loan, a repayment, a reversal, a budget
 * allocation) or an approval date is not after today: the ledger must not state that something
 * happened on a day that has not come. `today` is the bureau's date (China time), from the
 * application's clock. There is no margin: money is recorded once it has moved, on the bank's
 * value date, which is never later than the day the officer records it; a transfer ordered for a
 * later day is recorded on that day.
 */
export function requireHasHappened(date: LocalDate, today: LocalDate, field: string): void {
  // A context without today would let every date through: a fault of the caller, never of the request.
  if (typeof today !== 'string' || today === '') throw new Error('no today in the decider context: the command path must give the clock’s day');
  if (date > today) {
    throw new DateInFuture(`${field} ${date} is after today (${today}, China time): the ledger records only what has already happened`, field);
  }
}

export function requireStage(program: Program, stage: Stage, field = 'stage'): void {
  if (!program.stages.includes(stage)) {
    throw new StageNotEligible(`${program.code} is for ${program.stages.join(', ')}, not ${stage}`, field);
  }
}

export function requirePayee(program: Program, payee: PayeeType, field = 'payee.type'): void {
  if (program.payee !== payee) throw new PayeeNotAllowed(`${program.code} pays the ${program.payee.replace(/_/g, ' ')}, not the ${payee.replace(/_/g, ' ')}`, field);
}

/**
 * The amount one payment may have for this program, period and stage. For a cap standard the
 * `alreadyInPeriod` amount counts against the cap (a loan's school-year total).
 */
export function requireWithinStandard(
  program: Program,
  period: Period,
  stage: Stage,
  amount: Money,
  alreadyInPeriod: Money = Money.ZERO,
  field = 'amount',
): void {
  amount.assertPositive(field);
  const standard = standardFor(program, period);
  const allowed = standard?.amounts[stage];
  if (!standard || !allowed) {
    throw new ProgramNotOpen(`${program.code} has no standard for ${stage} in ${period.id}`, 'period');
  }
  const list = allowed.map((money) => money.toString()).join(', ');
  switch (standard.rule) {
    case 'fixed':
      if (!amount.equals(allowed[0])) {
        throw new AmountOffStandard(`${program.code} pays exactly ¥${list} per ${program.period.replace('_', ' ')} to ${stage} (standard from ${standard.from}), not ¥${amount}`, field);
      }
      return;
    case 'tiers':
      if (!allowed.some((tier) => tier.equals(amount))) {
        throw new AmountOffStandard(`${program.code} pays one of the tiers ¥${list} to ${stage} (standard from ${standard.from}), not ¥${amount}`, field);
      }
      return;
    case 'cap': {
      const total = alreadyInPeriod.plus(amount);
      if (total.greaterThan(allowed[0])) {
        const already = alreadyInPeriod.isZero() ? '' : ` (¥${alreadyInPeriod} already in ${period.id})`;
        throw new AmountOverCap(`${program.code} allows at most ¥${allowed[0]} per ${program.period.replace('_', ' ')} for ${stage}: ¥${amount}${already} exceeds it`, field);
      }
      return;
    }
    default: {
      const unreachable: never = standard.rule;
      throw new Error(`unknown standard rule ${String(unreachable)}`);
    }
  }
}

/** The most a student of this stage may borrow under a loan program in one school year. */
export function yearlyLoanCap(program: Program, period: Period, stage: Stage): Money {
  const cap = standardFor(program, period)?.amounts[stage]?.[0];
  if (!cap) throw new ProgramNotOpen(`${program.code} has no cap for ${stage} in ${period.id}`, 'schoolYear');
  return cap;
}

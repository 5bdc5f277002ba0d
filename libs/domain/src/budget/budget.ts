import { LocalDate, parseLocalDate } from '../calendar';
import { ProgramCatalog, budgetDatingWindowFor } from '../catalog';
import { Decider } from '../decider';
import { BudgetExceeded, DateOutsideFiscalYear, DomainError, IdAlreadyUsed, UnknownFundingSource } from '../errors';
import { Money } from '../money';
import { parseOptionalFreeText } from '../text';
import { requireHasHappened, requireProgram } from '../beneficiary/aid-rules';
import { parseProgramCode, parseRecordId } from '../beneficiary/beneficiary.commands';
import { BudgetOverride } from '../beneficiary/beneficiary.events';

/**
 * A program's budget for one fiscal year (stream `budget-<PROGRAM>-<year>`): allocations by
 * funding source. A payment over it is refused unless it carries an explicit override
 * (requireWithinBudget, applied by the beneficiary's decider): the money has sometimes already
 * moved when a payment is recorded, and the ledger must then still say so — with the reason.
 */

export type BudgetAllocated = {
  type: 'BudgetAllocated';
  data: {
    allocationId: string;
    programCode: string;
    fiscalYear: number;
    fundingSource: string;
    amount: string;
    valueDate: string;
    note?: string;
  };
};

export type BudgetEvent = BudgetAllocated;

export type AllocateBudget = {
  type: 'AllocateBudget';
  data: {
    allocationId: string;
    programCode: string;
    fiscalYear: number;
    fundingSource: string;
    amount: Money;
    valueDate: LocalDate;
    note?: string;
  };
};

export interface BudgetState {
  readonly allocations: ReadonlyMap<string, string>;
  readonly allocated: Money;
}

export const budgetStreamId = (programCode: string, fiscalYear: number) => `budget-${programCode}-${fiscalYear}`;

/** The longest note an allocation may carry. */
export const BUDGET_NOTE_MAX_LENGTH = 1000;

export function parseAllocateBudget(input: {
  allocationId?: unknown;
  programCode?: unknown;
  fiscalYear?: unknown;
  fundingSource?: unknown;
  amount?: unknown;
  valueDate?: unknown;
  note?: unknown;
}): AllocateBudget {
  const fiscalYear = input.fiscalYear;
  if (typeof fiscalYear !== 'number' || !Number.isInteger(fiscalYear) || fiscalYear < 1990 || fiscalYear > 2200) {
    throw new DomainError('FIELD_INVALID', 'invalid', 'fiscalYear must be a whole year between 1990 and 2200', 'fiscalYear');
  }
  if (typeof input.fundingSource !== 'string' || input.fundingSource === '') {
    throw new DomainError('FIELD_INVALID', 'invalid', 'fundingSource is required', 'fundingSource');
  }
  const note = parseOptionalFreeText(input.note, 'note', { maxLength: BUDGET_NOTE_MAX_LENGTH, multiline: true });
  return {
    type: 'AllocateBudget',
    data: {
      allocationId: parseRecordId(input.allocationId, 'allocationId'),
      programCode: parseProgramCode(input.programCode),
      fiscalYear,
      fundingSource: input.fundingSource,
      amount: Money.parse(input.amount),
      valueDate: parseLocalDate(input.valueDate, 'valueDate'),
      ...(note !== undefined && { note }),
    },
  };
}

export interface BudgetContext {
  readonly catalog: ProgramCatalog;
  /** The bureau's date (China time) as the command is decided, from the application's clock. */
  readonly today: LocalDate;
}

/**
 * An allocation is dated near the fiscal year it is for (catalog `budgetDating`): in it, in the year
 * before (advance allocations, 提前下达) or early in the year after. A date further away is a typo,
 * or an allocation booked to the wrong year.
 */
export function requireDatedForFiscalYear(catalog: Pick<ProgramCatalog, 'budgetDating'>, fiscalYear: number, valueDate: LocalDate, field = 'valueDate'): void {
  const { from, until } = budgetDatingWindowFor(catalog, fiscalYear);
  if (valueDate < from || valueDate > until) {
    throw new DateOutsideFiscalYear(
      `${field} ${valueDate} is outside what an allocation for fiscal year ${fiscalYear} may be dated: from ${from} (an advance allocation, 提前下达) to ${until}`,
      field,
    );
  }
}

export const budgetDecider: Decider<AllocateBudget, BudgetEvent, BudgetState, BudgetContext> = {
  initialState: () => ({ allocations: new Map(), allocated: Money.ZERO }),
  evolve: (state, event) => ({
    allocations: new Map(state.allocations).set(event.data.allocationId, JSON.stringify(event.data)),
    allocated: state.allocated.plus(Money.parse(event.data.amount)),
  }),
  decide: ({ data }, state, { catalog, today }) => {
    const program = requireProgram(catalog, data.programCode);
    if (!program.fundingSources.includes(data.fundingSource)) {
      throw new UnknownFundingSource(`${program.code} is funded by ${program.fundingSources.join(', ')}, not ${data.fundingSource}`, 'fundingSource');
    }
    data.amount.assertPositive();
    requireDatedForFiscalYear(catalog, data.fiscalYear, data.valueDate);
    requireHasHappened(data.valueDate, today, 'valueDate');
    const event: BudgetAllocated = {
      type: 'BudgetAllocated',
      data: {
        allocationId: data.allocationId,
        programCode: data.programCode,
        fiscalYear: data.fiscalYear,
        fundingSource: data.fundingSource,
        amount: data.amount.toString(),
        valueDate: data.valueDate,
        ...(data.note && { note: data.note }),
      },
    };
    const existing = state.allocations.get(data.allocationId);
    if (existing === JSON.stringify(event.data)) return [];
    if (existing) throw new IdAlreadyUsed(`allocation ${data.allocationId} is already recorded with different content`, 'allocationId');
    return [event];
  },
};

/** What a program was allocated and paid (net of reversals) for one fiscal year, as the ledger stood before a payment. */
export interface BudgetStanding {
  readonly programCode: string;
  readonly fiscalYear: number;
  readonly allocated: Money;
  readonly paid: Money;
}

/**
 * A payment stays within its program's budget for the fiscal year, or is recorded over it only with
 * an explicit override, which is returned to be recorded in the event (and only then: a payment
 * within budget records no override). Without a standing — no budget allocated to the program for
 * that year — nothing is checked: the bureau keeps that program's budget outside the ledger.
 */
export function requireWithinBudget(standing: BudgetStanding | undefined, amount: Money, override?: BudgetOverride, field = 'amount'): BudgetOverride | undefined {
  if (!standing) return undefined;
  const after = standing.paid.plus(amount);
  if (!after.greaterThan(standing.allocated)) return undefined;
  if (override) return override;
  throw new BudgetExceeded(
    `${standing.programCode} has ¥${standing.allocated} allocated for ${standing.fiscalYear} and ¥${standing.paid} paid: ¥${amount} more exceeds it by ¥${after.minus(standing.allocated)}` +
      ' (allocate more, or record it with budgetOverride.reason)',
    field,
  );
}

import { deciderSpecification } from '../testing/decider-specification';
import { shippedCatalog } from '../testing/catalog.fixture';
import { LocalDate } from '../calendar';
import { Money } from '../money';
import { DomainError } from '../errors';
import { BudgetStanding, budgetDecider, parseAllocateBudget, requireWithinBudget } from './budget';

/** Today as the application's clock gives it, pinned. */
const TODAY = '2026-12-01' as LocalDate;
const spec = deciderSpecification(budgetDecider, { catalog: shippedCatalog(), today: TODAY });
const allocate = (overrides: Record<string, unknown> = {}) =>
  parseAllocateBudget({
    allocationId: 'b-1',
    programCode: 'YULU_PLAN',
    fiscalYear: 2022,
    fundingSource: 'RURAL_REVITALISATION',
    amount: '1302000.00',
    valueDate: '2022-03-01',
    ...overrides,
  });
const allocated = {
  type: 'BudgetAllocated' as const,
  data: { allocationId: 'b-1', programCode: 'YULU_PLAN', fiscalYear: 2022, fundingSource: 'RURAL_REVITALISATION', amount: '1302000.00', valueDate: '2022-03-01' },
};

describe('allocating budget', () => {
  it('records an allocation from one of the program’s funding sources', () => {
    spec.given([]).when(allocate()).then([allocated]);
  });

  it('refuses a funding source the program does not have', () => {
    spec.given([]).when(allocate({ fundingSource: 'BANK' })).thenFails('FUNDING_SOURCE_UNKNOWN', 'fundingSource');
  });

  it('refuses an unknown program and a zero amount', () => {
    spec.given([]).when(allocate({ programCode: 'NOPE' })).thenFails('PROGRAM_UNKNOWN');
    spec.given([]).when(allocate({ amount: '0' })).thenFails('AMOUNT_NOT_POSITIVE');
  });

  it('is idempotent by allocation id, and refuses the id with other content', () => {
    spec.given([allocated]).when(allocate()).thenNothingHappens();
    spec.given([allocated]).when(allocate({ amount: '1.00' })).thenFails('ID_ALREADY_USED');
  });

  it('keeps a note trimmed, on several lines if need be, and refuses one with control characters (parseFreeText)', () => {
    expect(allocate({ note: ' carry-over\nfrom 2021 ' }).data.note).toBe('carry-over\nfrom 2021');
    expect(allocate({ note: '   ' }).data).not.toHaveProperty('note');
    expect(() => allocate({ note: 'carry-over\u0085' })).toThrow(expect.objectContaining({ code: 'FIELD_INVALID', field: 'note' }));
    expect(() => allocate({ note: 'x'.repeat(1001) })).toThrow(expect.objectContaining({ code: 'FIELD_INVALID', field: 'note' }));
  });

  it('refuses a fiscal year that is not a whole year', () => {
    expect(() => allocate({ fiscalYear: 2022.5 })).toThrow(/fiscalYear must be a whole year/);
    expect(() => allocate({ fiscalYear: '2022' })).toThrow(/fiscalYear/);
  });
});

describe('the value date of an allocation', () => {
  const on = (fiscalYear: number, valueDate: string) => allocate({ fiscalYear, valueDate });
  const recorded = (fiscalYear: number, valueDate: string) => [{ ...allocated, data: { ...allocated.data, fiscalYear, valueDate } }];

  it('refuses an allocation dated after today, whatever its fiscal year', () => {
    spec.given([]).when(on(2099, '2099-01-05')).thenFails('DATE_IN_FUTURE', 'valueDate');
    spec.given([]).when(on(2027, '2026-12-02')).thenFails('DATE_IN_FUTURE', 'valueDate');
    spec.given([]).when(on(2027, TODAY)).then(recorded(2027, TODAY));
  });

  it('takes a date in the fiscal year, in the year before (advance allocations, 提前下达) or in the first quarter after', () => {
    spec.given([]).when(on(2023, '2022-01-01')).then(recorded(2023, '2022-01-01'));
    spec.given([]).when(on(2023, '2022-11-20')).then(recorded(2023, '2022-11-20'));
    spec.given([]).when(on(2023, '2023-06-30')).then(recorded(2023, '2023-06-30'));
    spec.given([]).when(on(2023, '2024-03-31')).then(recorded(2023, '2024-03-31'));
  });

  it('refuses a date further from the fiscal year, saying what it may be', () => {
    const refusal = spec.given([]).when(on(2023, '2019-01-05')).thenFails('DATE_OUTSIDE_FISCAL_YEAR', 'valueDate');
    expect(refusal.message).toBe('valueDate 2019-01-05 is outside what an allocation for fiscal year 2023 may be dated: from 2022-01-01 (an advance allocation, 提前下达) to 2024-03-31');
    spec.given([]).when(on(2023, '2021-12-31')).thenFails('DATE_OUTSIDE_FISCAL_YEAR', 'valueDate');
    spec.given([]).when(on(2023, '2024-04-01')).thenFails('DATE_OUTSIDE_FISCAL_YEAR', 'valueDate');
  });
});

describe('paying within the budget (requireWithinBudget)', () => {
  const standing = (paid: string): BudgetStanding => ({ programCode: 'ZIHUI_PLAN', fiscalYear: 2022, allocated: Money.parse('1000.00'), paid: Money.parse(paid) });

  it('lets a payment through up to the last fen of the budget, and records no override', () => {
    expect(requireWithinBudget(standing('500.00'), Money.parse('500.00'))).toBeUndefined();
    expect(requireWithinBudget(standing('500.00'), Money.parse('500.00'), { reason: 'not needed' })).toBeUndefined();
  });

  it('refuses a payment one fen over, saying by how much', () => {
    let caught: unknown;
    try {
      requireWithinBudget(standing('500.00'), Money.parse('500.01'));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect(caught).toMatchObject({ code: 'BUDGET_EXCEEDED', field: 'amount', message: expect.stringContaining('exceeds it by ¥0.01') });
  });

  it('records a payment over budget only with an override, which it returns to be recorded', () => {
    expect(requireWithinBudget(standing('1000.00'), Money.parse('1.00'), { reason: 'carry-over approved by the bureau' })).toEqual({ reason: 'carry-over approved by the bureau' });
  });

  it('checks nothing where no budget is allocated to the program for the year', () => {
    expect(requireWithinBudget(undefined, Money.parse('999999.00'))).toBeUndefined();
  });
});

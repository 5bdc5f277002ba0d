import { deciderSpecification } from '../testing/decider-specification';
import { shippedCatalog } from '../testing/catalog.fixture';
import { budgetDecider, parseAllocateBudget } from './budget';

const spec = deciderSpecification(budgetDecider, { catalog: shippedCatalog() });
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

  it('refuses a fiscal year that is not a whole year', () => {
    expect(() => allocate({ fiscalYear: 2022.5 })).toThrow(/fiscalYear must be a whole year/);
    expect(() => allocate({ fiscalYear: '2022' })).toThrow(/fiscalYear/);
  });
});

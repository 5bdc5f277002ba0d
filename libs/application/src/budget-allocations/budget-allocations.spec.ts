import { ledgerOnDisk, readSideOf } from '../testing/ledger-on-disk';
import { AllocateBudgetCommand, AllocateBudgetHandler } from '../allocate-budget/allocate-budget';
import { BudgetAllocationsHandler, BudgetAllocationsQuery } from './budget-allocations';

describe('budget allocations', () => {
  let ledger: ReturnType<typeof ledgerOnDisk>;
  let read: ReturnType<typeof readSideOf>;
  beforeEach(() => {
    ledger = ledgerOnDisk();
    read = readSideOf(ledger);
  });
  afterEach(async () => {
    await read.models.close();
    await ledger.close();
  });

  it('lists the allocations of a program-year, and refuses a malformed year and an unknown program by field', async () => {
    await new AllocateBudgetHandler(ledger.pipeline, ledger.catalog).execute(new AllocateBudgetCommand({ programCode: 'YULU_PLAN', fiscalYear: 2022, fundingSource: 'RURAL_REVITALISATION', amount: '100.00', valueDate: '2022-03-01' }, ledger.write));
    await read.catchUp();
    const budgets = new BudgetAllocationsHandler(read.readSide, ledger.catalog);
    const { budgets: rows } = await budgets.execute(new BudgetAllocationsQuery({ fiscalYear: '2022', programCode: 'YULU_PLAN' }));
    expect(rows).toEqual([expect.objectContaining({ programCode: 'YULU_PLAN', fiscalYear: 2022, allocated: { yuan: '100.00', wanYuan: '0.01' } })]);
    await expect(budgets.execute(new BudgetAllocationsQuery({ fiscalYear: 'last', programCode: 'NOPE' }))).rejects.toMatchObject({ code: 'REQUEST_INVALID', problems: [{ field: 'fiscalYear' }, { field: 'programCode' }] });
  });
});

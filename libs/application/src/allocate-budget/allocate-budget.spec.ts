import { ledgerOnDisk } from '../testing/ledger-on-disk';
import { AllocateBudgetCommand, AllocateBudgetHandler } from './allocate-budget';

describe('allocate budget', () => {
  let ledger: ReturnType<typeof ledgerOnDisk>;
  beforeEach(() => (ledger = ledgerOnDisk()));
  afterEach(() => ledger.close());

  it('records an allocation on the program-year’s budget stream', async () => {
    const handler = new AllocateBudgetHandler(ledger.pipeline, ledger.catalog);
    const outcome = await handler.execute(new AllocateBudgetCommand({ allocationId: 'b-1', programCode: 'YULU_PLAN', fiscalYear: 2022, fundingSource: 'RURAL_REVITALISATION', amount: '100.00', valueDate: '2022-03-01' }, ledger.write));
    expect([outcome.result, outcome.streamId, outcome.ids]).toEqual(['recorded', 'budget-YULU_PLAN-2022', { allocationId: 'b-1' }]);
  });

  it('refuses a funding source the program does not take', async () => {
    const handler = new AllocateBudgetHandler(ledger.pipeline, ledger.catalog);
    await expect(handler.execute(new AllocateBudgetCommand({ programCode: 'YULU_PLAN', fiscalYear: 2022, fundingSource: 'LOTTERY', amount: '100.00', valueDate: '2022-03-01' }, ledger.write))).rejects.toMatchObject({ field: 'fundingSource' });
    expect(await ledger.store.headPosition()).toBe(0n);
  });
});

import { ledgerOnDisk } from '../testing/ledger-on-disk';
import { ApproveAidCommand, ApproveAidHandler } from './approve-aid';

describe('approve aid', () => {
  let ledger: ReturnType<typeof ledgerOnDisk>;
  beforeEach(() => (ledger = ledgerOnDisk()));
  afterEach(() => ledger.close());
  const approval = { approvalId: 'ap-1', student: { residentId: '654002201001010015' }, schoolCode: '2165000001', stage: 'primary', programCode: 'NON_BOARDING_LIVING_SUBSIDY', period: '2022-autumn', amount: '250.00', approvedOn: '2022-09-15' };

  it('records an approval on the student’s record, and the same approval again as already there', async () => {
    const handler = new ApproveAidHandler(ledger.records);
    const first = await handler.execute(new ApproveAidCommand(approval, ledger.write));
    const again = await handler.execute(new ApproveAidCommand(approval, ledger.write));
    expect([first.result, first.ids, first.streamId, first.events.map((event) => event.type)]).toEqual(['recorded', { approvalId: 'ap-1' }, ledger.recordStreamOf('654002201001010015'), ['AidApproved']]);
    expect(again.result).toBe('unchanged');
  });
});

import { ledgerOnDisk, residentIdOf } from '../testing/ledger-on-disk';
import { RecordLoanCommand, RecordLoanHandler } from './record-loan';

describe('record a loan', () => {
  let ledger: ReturnType<typeof ledgerOnDisk>;
  beforeEach(() => (ledger = ledgerOnDisk()));
  afterEach(() => ledger.close());
  const loan = (amount: string, loanId: string) => ({ loanId, student: { residentId: residentIdOf(1) }, schoolCode: '4165010001', stage: 'undergraduate', programCode: 'ORIGIN_CREDIT_LOAN', period: '2022-2023', amount, payee: { type: 'university_fee_account', name: 'Xinjiang University' }, valueDate: '2022-09-20' });

  it('records a loan within the cap and refuses one above it', async () => {
    const handler = new RecordLoanHandler(ledger.records);
    const recorded = await handler.execute(new RecordLoanCommand(loan('8000.00', 'loan-1'), ledger.write));
    expect([recorded.result, recorded.ids]).toEqual(['recorded', { loanId: 'loan-1' }]);
    await expect(handler.execute(new RecordLoanCommand(loan('90000.00', 'loan-2'), ledger.write))).rejects.toMatchObject({ field: 'amount' });
  });
});

import { join } from 'node:path';
import { ALL_PROJECTIONS, ReadModels } from '@ledger/projections';
import { ReadSide } from '../read-side';
import { Settings } from '../settings';
import { ledgerOnDisk, residentIdOf } from '../testing/ledger-on-disk';
import { RecordLoanCommand, RecordLoanHandler } from '../record-loan/record-loan';
import { RecordRepaymentCommand, RecordRepaymentHandler } from './record-repayment';

describe('record a repayment', () => {
  let ledger: ReturnType<typeof ledgerOnDisk>;
  let models: ReadModels;
  let repay: RecordRepaymentHandler;
  beforeEach(async () => {
    ledger = ledgerOnDisk();
    models = new ReadModels(join(ledger.dir, 'read-models.sqlite'), ALL_PROJECTIONS);
    repay = new RecordRepaymentHandler(ledger.records, new ReadSide(ledger.store, models, { readWaitMs: 1000 } as Settings));
    await new RecordLoanHandler(ledger.records).execute(
      new RecordLoanCommand({ loanId: 'loan-1', student: { residentId: residentIdOf(3) }, schoolCode: '4165010001', stage: 'undergraduate', programCode: 'ORIGIN_CREDIT_LOAN', period: '2022-2023', amount: '8000.00', payee: { type: 'university_fee_account', name: 'Xinjiang University' }, valueDate: '2022-09-20' }, ledger.write),
    );
    await models.catchUpFrom(ledger.store);
  });
  afterEach(async () => {
    await models.close();
    await ledger.close();
  });

  it('finds the loan’s student, names the repayment by its Idempotency-Key, and refuses more than is outstanding', async () => {
    const write = { ...ledger.write, idempotencyKey: 'repay-1' };
    const outcome = await repay.execute(new RecordRepaymentCommand('loan-1', { amount: '3000.00', valueDate: '2023-09-20' }, write));
    expect([outcome.result, outcome.streamId, outcome.ids.loanId, outcome.ids.repaymentId.length]).toEqual(['recorded', ledger.recordStreamOf(residentIdOf(3)), 'loan-1', 36]);
    await models.catchUpFrom(ledger.store);
    await expect(repay.execute(new RecordRepaymentCommand('loan-1', { amount: '6000.00', valueDate: '2023-09-21' }, ledger.write))).rejects.toMatchObject({ field: 'amount' });
  });

  it('refuses a loan no student holds', async () => {
    await expect(repay.execute(new RecordRepaymentCommand('loan-9', { amount: '10.00', valueDate: '2023-09-20' }, ledger.write))).rejects.toMatchObject({ code: 'LOAN_NOT_FOUND' });
  });
});

import { DomainError } from '@ledger/domain';
import { ledgerOnDisk, residentIdOf } from '../testing/ledger-on-disk';
import { AllocateBudgetCommand, AllocateBudgetHandler } from '../allocate-budget/allocate-budget';
import { RecordDisbursementCommand, RecordDisbursementHandler } from './record-disbursement';

const grant = (i: number, overrides: Record<string, unknown> = {}) => ({
  student: { residentId: residentIdOf(i) },
  schoolCode: '4165010694', stage: 'undergraduate', programCode: 'XINJIANG_AID_GRANT', period: '2022-2023',
  amount: '6000.00', payee: { type: 'student' }, valueDate: '2022-11-05', ...overrides,
});

describe('record a disbursement', () => {
  let ledger: ReturnType<typeof ledgerOnDisk>;
  let handler: RecordDisbursementHandler;
  beforeEach(() => {
    ledger = ledgerOnDisk();
    handler = new RecordDisbursementHandler(ledger.records);
  });
  afterEach(() => ledger.close());
  const codeOf = (promise: Promise<unknown>) => promise.then(() => 'recorded', (error) => (error instanceof DomainError ? error.code : String(error)));

  it('names a payment the client gave no id by its Idempotency-Key (the same id on a retry), and records it once', async () => {
    const write = { ...ledger.write, idempotencyKey: 'retry-1' };
    const first = await handler.execute(new RecordDisbursementCommand(grant(0), write));
    const again = await handler.execute(new RecordDisbursementCommand(grant(0), write));
    expect(first.ids).toEqual({ disbursementId: 'c2aea1db-92b5-5b83-bc80-2aa3af61fe1b' });
    expect([first.result, again.result, again.ids.disbursementId]).toEqual(['recorded', 'replayed', first.ids.disbursementId]);
    expect(await ledger.store.readStream(first.streamId)).toHaveLength(1);
  });

  it('decides a payment against its program’s budget for the year', async () => {
    await new AllocateBudgetHandler(ledger.pipeline, ledger.catalog).execute(
      new AllocateBudgetCommand({ programCode: 'XINJIANG_AID_GRANT', fiscalYear: 2022, fundingSource: 'PAIRED_AID', amount: '12000.00', valueDate: '2022-03-01' }, ledger.write),
    );
    const outcomes = await Promise.all([0, 1, 2].map((i) => codeOf(handler.execute(new RecordDisbursementCommand(grant(i), ledger.write)))));
    expect(outcomes.sort()).toEqual(['BUDGET_EXCEEDED', 'recorded', 'recorded']);
  });

  it('keeps to the budget when payments of one student wait for each other on their record', async () => {
    await new AllocateBudgetHandler(ledger.pipeline, ledger.catalog).execute(
      new AllocateBudgetCommand({ programCode: 'BOARDING_LIVING_SUBSIDY', fiscalYear: 2022, fundingSource: 'CENTRAL', amount: '1000.00', valueDate: '2022-03-01' }, ledger.write),
    );
    const boarding = (i: number, period: string, valueDate: string) => ({ student: { residentId: residentIdOf(i) }, schoolCode: '2165000001', stage: 'primary', programCode: 'BOARDING_LIVING_SUBSIDY', period, amount: '500.00', payee: { type: 'student' }, valueDate });
    const payments = [boarding(7, '2022-spring', '2022-04-20'), boarding(7, '2022-autumn', '2022-10-20'), boarding(8, '2022-autumn', '2022-10-20')];
    const outcomes = await Promise.all(payments.map((payment) => codeOf(handler.execute(new RecordDisbursementCommand(payment, ledger.write)))));
    expect(outcomes.sort()).toEqual(['BUDGET_EXCEEDED', 'recorded', 'recorded']);
  });

  it('refuses a malformed payment with the field at fault, appending nothing', async () => {
    await expect(handler.execute(new RecordDisbursementCommand(grant(0, { amount: 'lots' }), ledger.write))).rejects.toMatchObject({ field: 'amount' });
    expect(await ledger.store.headPosition()).toBe(0n);
  });
});

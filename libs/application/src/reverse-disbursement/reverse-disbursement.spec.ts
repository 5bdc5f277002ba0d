import { join } from 'node:path';
import { ALL_PROJECTIONS, ReadModels } from '@ledger/projections';
import { ReadSide } from '../read-side';
import { Settings } from '../settings';
import { ledgerOnDisk, residentIdOf } from '../testing/ledger-on-disk';
import { RecordDisbursementCommand, RecordDisbursementHandler } from '../record-disbursement/record-disbursement';
import { ReverseDisbursementCommand, ReverseDisbursementHandler } from './reverse-disbursement';

describe('reverse a disbursement', () => {
  let ledger: ReturnType<typeof ledgerOnDisk>;
  let models: ReadModels;
  let reverse: ReverseDisbursementHandler;
  const pay = (i: number) =>
    new RecordDisbursementHandler(ledger.records).execute(
      new RecordDisbursementCommand({ disbursementId: 'd-1', student: { residentId: residentIdOf(i) }, schoolCode: '4165010694', stage: 'undergraduate', programCode: 'XINJIANG_AID_GRANT', period: '2022-2023', amount: '6000.00', payee: { type: 'student' }, valueDate: '2022-11-05' }, ledger.write),
    );
  const reversal = { reason: 'paid to a closed account', reasonCode: 'WRONG_ACCOUNT', valueDate: '2022-11-10' };
  beforeEach(() => {
    ledger = ledgerOnDisk();
    models = new ReadModels(join(ledger.dir, 'read-models.sqlite'), ALL_PROJECTIONS);
    reverse = new ReverseDisbursementHandler(ledger.records, new ReadSide(ledger.store, models, { readWaitMs: 1000 } as Settings));
  });
  afterEach(async () => {
    await models.close();
    await ledger.close();
  });

  it('finds the student of a payment the body does not name, through the read models', async () => {
    await pay(1);
    await models.catchUpFrom(ledger.store);
    const outcome = await reverse.execute(new ReverseDisbursementCommand('d-1', reversal, ledger.write));
    expect([outcome.result, outcome.streamId, outcome.events.map((event) => event.type)]).toEqual(['recorded', ledger.recordStreamOf(residentIdOf(1)), ['DisbursementReversed']]);
  });

  it('asks for the student when two students hold a payment of that id, and reverses the one named', async () => {
    await pay(1);
    await pay(2);
    await models.catchUpFrom(ledger.store);
    await expect(reverse.execute(new ReverseDisbursementCommand('d-1', reversal, ledger.write))).rejects.toMatchObject({ code: 'RECORD_ID_AMBIGUOUS' });
    const outcome = await reverse.execute(new ReverseDisbursementCommand('d-1', { ...reversal, student: { residentId: residentIdOf(2) } }, ledger.write));
    expect(outcome.streamId).toBe(ledger.recordStreamOf(residentIdOf(2)));
  });

  it('refuses a payment no student holds', async () => {
    await expect(reverse.execute(new ReverseDisbursementCommand('nope', reversal, ledger.write))).rejects.toMatchObject({ field: 'disbursementId' });
  });
});

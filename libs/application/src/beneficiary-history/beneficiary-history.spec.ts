import { ledgerOnDisk, readSideOf, residentIdOf } from '../testing/ledger-on-disk';
import { RecordDisbursementCommand, RecordDisbursementHandler } from '../record-disbursement/record-disbursement';
import { BeneficiaryHistoryHandler, BeneficiaryHistoryQuery } from './beneficiary-history';

describe('a beneficiary’s history', () => {
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

  it('gives every event of the record, found by any identifier of the student, its personal fields opened, and none for an unknown student', async () => {
    const paid = await new RecordDisbursementHandler(ledger.records).execute(
      new RecordDisbursementCommand({ student: { residentId: residentIdOf(4), studentNumber: `J${residentIdOf(6)}` }, schoolCode: '4165010694', stage: 'undergraduate', programCode: 'XINJIANG_AID_GRANT', period: '2022-2023', amount: '6000.00', payee: { type: 'student' }, valueDate: '2022-11-05' }, ledger.write),
    );
    await read.catchUp();
    const history = new BeneficiaryHistoryHandler(read.readSide, ledger.records);
    const key = paid.streamId.replace('beneficiary-', '');
    for (const named of [residentIdOf(4), `J${residentIdOf(6)}`, key]) {
      const found = await history.execute(new BeneficiaryHistoryQuery(named));
      expect([found.studentKey, found.events.map((event) => event.type)]).toEqual([key, ['DisbursementRecorded']]);
      expect((found.events[0].data as { beneficiary: unknown }).beneficiary).toEqual({ key, residentId: residentIdOf(4), studentNumber: `J${residentIdOf(6)}` });
    }
    expect((await history.execute(new BeneficiaryHistoryQuery(residentIdOf(5)))).events).toEqual([]);
  });
});

import { ledgerOnDisk, readSideOf, residentIdOf } from '../testing/ledger-on-disk';
import { RecordDisbursementCommand, RecordDisbursementHandler } from '../record-disbursement/record-disbursement';
import { DisbursementLookupHandler, DisbursementLookupQuery } from './disbursement-lookup';

describe('looking up a disbursement', () => {
  let ledger: ReturnType<typeof ledgerOnDisk>;
  let read: ReturnType<typeof readSideOf>;
  let lookup: DisbursementLookupHandler;
  beforeEach(async () => {
    ledger = ledgerOnDisk();
    read = readSideOf(ledger);
    lookup = new DisbursementLookupHandler(read.readSide, ledger.records);
    const pay = new RecordDisbursementHandler(ledger.records);
    for (const i of [1, 2]) {
      await pay.execute(new RecordDisbursementCommand({ disbursementId: '1', student: { residentId: residentIdOf(i), name: `学生${i}` }, schoolCode: '4165010694', stage: 'undergraduate', programCode: 'XINJIANG_AID_GRANT', period: '2022-2023', amount: '6000.00', payee: { type: 'student' }, valueDate: '2022-11-05' }, ledger.write));
    }
    await read.catchUp();
  });
  afterEach(async () => {
    await read.models.close();
    await ledger.close();
  });

  it('finds the payment of the student named, with the names the masking needs; asks for the student when the id is ambiguous', async () => {
    const found = await lookup.execute(new DisbursementLookupQuery('1', { residentId: residentIdOf(2) }));
    // Filed under an opaque key; the student's identifiers and name come from the identity index and the opened record.
    expect(found.view.beneficiaryKey).toMatch(/^s[0-9a-z]{26}$/);
    expect([found.view.student, found.view.amount, found.knownNames]).toEqual([{ residentId: residentIdOf(2), name: '学生2' }, '6000.00', ['学生2']]);
    await expect(lookup.execute(new DisbursementLookupQuery('1', {}))).rejects.toMatchObject({ code: 'RECORD_ID_AMBIGUOUS', problems: [{ field: 'residentId' }, { field: 'studentNumber' }] });
    await expect(lookup.execute(new DisbursementLookupQuery('1', { name: 'x' }))).rejects.toMatchObject({ code: 'REQUEST_INVALID', problems: [{ field: 'name' }] });
    await expect(lookup.execute(new DisbursementLookupQuery('9', {}))).rejects.toMatchObject({ code: 'DISBURSEMENT_NOT_FOUND' });
  });
});

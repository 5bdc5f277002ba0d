import { BeneficiaryCommands, EVENT_STORE, WritePipeline, loadCatalog, writeContextFor } from '@ledger/application';
import { parseRecordDisbursement } from '@ledger/domain';
import { EventStore } from '@ledger/event-store';
import { join } from 'node:path';
import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment, residentId } from './support/students';

/**
 * A ledger written before the key store filed a student under the identifier itself
 * (`beneficiary-<resident ID>`, in clear). Writing to such a student again would give them a second,
 * encrypted record beside the first — payments the duplicate and exclusivity rules would no longer
 * see together — so it is refused until the ledger is migrated.
 */
describe('a student whose record was written before the key store', () => {
  let ledger: LedgerUnderTest;
  const id = residentId(411);

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
    // The old form: a pipeline with no key store files the student under the resident ID, in clear.
    const store = ledger.app.get<EventStore>(EVENT_STORE);
    const old = new BeneficiaryCommands(new WritePipeline(store), loadCatalog(join(__dirname, '../config/programs.yaml')));
    await old.execute(parseRecordDisbursement(boardingPayment(411, { disbursementId: 'old-1' })), writeContextFor({ id: 'officer', role: 'finance_officer' }, 'old form'));
    expect((await store.readStream(`beneficiary-${id}`)).length).toBe(1);
  });
  afterAll(async () => {
    await ledger.stop();
  });

  it('refuses a write naming them (409 STUDENT_RECORD_IN_CLEAR) and appends nothing, neither a record nor a key', async () => {
    const before = await ledger.logPosition();
    const again = await ledger.http.post('/disbursements').send(boardingPayment(411, { disbursementId: 'new-1', period: '2023-spring', valueDate: '2023-04-20' }));
    expect({ status: again.status, code: again.body.code, field: again.body.errors?.[0]?.field }).toEqual({ status: 409, code: 'STUDENT_RECORD_IN_CLEAR', field: 'student' });
    expect(await ledger.logPosition()).toBe(before);
  });

  it('still records students it never knew, under opaque keys', async () => {
    const paid = await ledger.http.post('/disbursements').send(boardingPayment(412)).expect(201);
    expect(paid.body.streamId).toMatch(/^beneficiary-s[0-9a-z]{26}$/);
  });
});

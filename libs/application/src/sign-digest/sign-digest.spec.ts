import { DIGEST_STREAM } from '@ledger/integrity';
import { AuditService } from '../audit.service';
import { loadSettings } from '../settings';
import { ledgerOnDisk, readSideOf, residentIdOf } from '../testing/ledger-on-disk';
import { RecordDisbursementCommand, RecordDisbursementHandler } from '../record-disbursement/record-disbursement';
import { SignDigestCommand, SignDigestHandler } from './sign-digest';

describe('sign a digest', () => {
  let ledger: ReturnType<typeof ledgerOnDisk>;
  let read: ReturnType<typeof readSideOf>;
  let audit: AuditService;
  beforeEach(async () => {
    ledger = ledgerOnDisk();
    read = readSideOf(ledger);
    audit = new AuditService(ledger.store, loadSettings({ LEDGER_DATA_DIR: ledger.dir, LEDGER_DIGEST_QUIET_MS: '0' }), ledger.pipeline, read.models);
    await new RecordDisbursementHandler(ledger.records).execute(
      new RecordDisbursementCommand({ student: { residentId: residentIdOf(1) }, schoolCode: '4165010694', stage: 'undergraduate', programCode: 'XINJIANG_AID_GRANT', period: '2022-2023', amount: '6000.00', payee: { type: 'student' }, valueDate: '2022-11-05' }, ledger.write),
    );
    await read.catchUp();
    expect(await audit.prepareSigning()).toBeUndefined();
    audit.startWitnessing(read.models);
    read.models.start(ledger.store, (error) => {
      throw error;
    });
  });
  afterEach(async () => {
    await audit.stop();
    await read.models.stop();
    await read.models.close();
    await ledger.close();
  });

  it('signs the log as witnessed, naming who asked and the request in the digest event; the next digest covers the first one too', async () => {
    const write = { ...ledger.write, actor: { id: 'auditor', role: 'auditor' }, correlationId: 'corr-1', causationId: 'req-1' };
    const digest = await new SignDigestHandler(audit).execute(new SignDigestCommand(write));
    expect(digest?.treeSize).toBe(1);
    const [event] = await ledger.store.readStream(DIGEST_STREAM);
    expect([event.schemaVersion, event.metadata.actor, event.metadata.requestedBy, event.metadata.causationId]).toEqual([1, { id: 'system:digest', role: 'system' }, write.actor, 'req-1']);
    // The digest event is an event of the log: the log grew by it.
    const next = await new SignDigestHandler(audit).execute(new SignDigestCommand(write));
    expect(next?.treeSize).toBe(2);
    expect(await ledger.store.readStream(DIGEST_STREAM)).toHaveLength(2);
  });
});

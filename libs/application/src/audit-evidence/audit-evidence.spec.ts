import { AuditService } from '../audit.service';
import { loadSettings } from '../settings';
import { ledgerOnDisk, residentIdOf } from '../testing/ledger-on-disk';
import { RecordDisbursementCommand, RecordDisbursementHandler } from '../record-disbursement/record-disbursement';
import { ConsistencyProofHandler, ConsistencyProofQuery, DigestsHandler, InclusionProofHandler, InclusionProofQuery, LogExportHandler, VerifyLogHandler, VerifyLogQuery } from './audit-evidence';

describe('the auditor’s evidence', () => {
  let ledger: ReturnType<typeof ledgerOnDisk>;
  let audit: AuditService;
  beforeEach(async () => {
    ledger = ledgerOnDisk();
    audit = new AuditService(ledger.store, loadSettings({ LEDGER_DATA_DIR: ledger.dir }), ledger.pipeline);
    await new RecordDisbursementHandler(ledger.records).execute(
      new RecordDisbursementCommand({ student: { residentId: residentIdOf(1) }, schoolCode: '4165010694', stage: 'undergraduate', programCode: 'XINJIANG_AID_GRANT', period: '2022-2023', amount: '6000.00', payee: { type: 'student' }, valueDate: '2022-11-05' }, ledger.write),
    );
  });
  afterEach(() => ledger.close());

  it('checks the proofs’ parameters before asking for a proof', async () => {
    await expect(new InclusionProofHandler(audit).execute(new InclusionProofQuery(undefined, undefined))).rejects.toMatchObject({ code: 'REQUEST_INVALID', problems: [{ field: 'eventId', message: 'eventId is required' }] });
    await expect(new InclusionProofHandler(audit).execute(new InclusionProofQuery('e-1', 'ten'))).rejects.toMatchObject({ problems: [{ field: 'treeSize', message: 'treeSize must be a whole number' }] });
    await expect(new ConsistencyProofHandler(audit).execute(new ConsistencyProofQuery(undefined, '3'))).rejects.toMatchObject({ problems: [{ field: 'firstSize', message: 'firstSize is required' }] });
  });

  it('verifies the log, lists its digests (none yet) and exports it a line an event', async () => {
    const report = await new VerifyLogHandler(audit).execute(new VerifyLogQuery());
    expect([report.ok, report.eventsChecked]).toEqual([true, 1]);
    expect(await new DigestsHandler(audit).execute()).toEqual({ digests: [] });
    const lines: string[] = [];
    for await (const line of await new LogExportHandler(ledger.store).execute()) lines.push(line);
    expect(lines.map((line) => JSON.parse(line).type)).toEqual(['DisbursementRecorded']);
  });
});

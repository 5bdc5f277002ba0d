import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSettings } from '../settings';
import { ledgerOnDisk, residentIdOf } from '../testing/ledger-on-disk';
import { ImportPaymentListCommand, ImportPaymentListHandler } from './import-payment-list';
import { ImportService } from './import-payment-list.service';

describe('import a payment list', () => {
  let ledger: ReturnType<typeof ledgerOnDisk>;
  beforeEach(() => (ledger = ledgerOnDisk()));
  afterEach(() => ledger.close());

  it('checks a list, then records all its rows and the batch’s own event in one append, the same file again recording nothing', async () => {
    const file = join(ledger.dir, 'list.csv');
    const header = 'schoolCode,stage,programCode,period,amount,valueDate,residentId';
    writeFileSync(file, [header, ...[1, 2, 3].map((i) => `4165010694,undergraduate,XINJIANG_AID_GRANT,2022-2023,6000.00,2022-11-05,${residentIdOf(i)}`)].join('\n'));
    const handler = new ImportPaymentListHandler(new ImportService(ledger.pipeline, ledger.catalog, loadSettings({ LEDGER_DATA_DIR: ledger.dir })));
    const options = { format: 'csv' as const, fileName: 'list.csv', write: ledger.write };
    const dryRun = await handler.execute(new ImportPaymentListCommand(file, { ...options, commit: false }));
    expect([dryRun.problems, dryRun.total.rows, await ledger.store.headPosition()]).toEqual([[], 3, 0n]);
    const committed = await handler.execute(new ImportPaymentListCommand(file, { ...options, commit: true }));
    expect([committed.committed, committed.committedEvents]).toEqual([true, 4]);
    const [batch] = await ledger.store.readStream(`import-${committed.batchId}`);
    expect([batch.type, batch.schemaVersion, batch.metadata.importBatch]).toEqual(['PaymentListImported', 1, committed.batchId]);
    const again = await handler.execute(new ImportPaymentListCommand(file, { ...options, commit: true }));
    expect([again.alreadyImported, again.committedEvents, await ledger.store.headPosition()]).toEqual([true, 0, 4n]);
  });
});

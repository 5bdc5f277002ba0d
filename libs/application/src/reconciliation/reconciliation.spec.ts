import { join } from 'node:path';
import { loadDeclaredReports } from '../reconcile';
import { ledgerOnDisk, readSideOf } from '../testing/ledger-on-disk';
import { DeclaredReportsHandler, ReconciliationHandler, ReconciliationQuery } from './reconciliation';

describe('reconciling a declared report', () => {
  let ledger: ReturnType<typeof ledgerOnDisk>;
  let read: ReturnType<typeof readSideOf>;
  beforeEach(async () => {
    ledger = ledgerOnDisk();
    read = readSideOf(ledger);
    await read.catchUp();
  });
  afterEach(async () => {
    await read.models.close();
    await ledger.close();
  });

  it('reconciles each declared report line with the ledger, in the format asked for; none for a report not declared', async () => {
    const reports = loadDeclaredReports(join(__dirname, '../../../../config/reports'), ledger.catalog);
    const [declared] = (await new DeclaredReportsHandler(reports).execute()).reports;
    const reconciliation = new ReconciliationHandler(read.readSide, ledger.catalog, reports);
    const json = await reconciliation.execute(new ReconciliationQuery(declared.id, {}));
    expect(json?.format === 'json' && json.body.lines.length).toBe(declared.lines);
    expect((await reconciliation.execute(new ReconciliationQuery(declared.id, { format: 'xlsx' })))?.format).toBe('xlsx');
    expect(await reconciliation.execute(new ReconciliationQuery('no-such-report', {}))).toBeUndefined();
    await expect(reconciliation.execute(new ReconciliationQuery(declared.id, { format: 'pdf', page: '2' }))).rejects.toMatchObject({ problems: [{ field: 'page' }, { field: 'format' }] });
  });
});

import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandRunner, Reconciliation, loadDeclaredReports, reconcile, reconciliationCsv, reconciliationTable, reconciliationXlsx, seedDemoLedger } from '@ledger/application';
import { SqliteEventStore } from '@ledger/event-store';
import { ChainedEventStore } from '@ledger/integrity';
import { ALL_PROJECTIONS, ReadModels } from '@ledger/projections';
import { shippedCatalog } from '../libs/domain/src/testing/catalog.fixture';

/**
 * The demo ledger of Yining's 2022 aid, recorded through the real command path, reconciled with
 * the 2022 report: what the standards allow agrees to the fen and the count; every other line
 * carries its reason; the report's own inconsistencies are flagged.
 */
describe('reconciling the demo ledger with the 2022 report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-demo-'));
  const catalog = shippedCatalog();
  let result: Reconciliation;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    const store = new ChainedEventStore(new SqliteEventStore({ path: join(dir, 'ledger.sqlite') }));
    const models = new ReadModels(join(dir, 'read-models.sqlite'), ALL_PROJECTIONS);
    models.start(store);
    const seeded = await seedDemoLedger(new CommandRunner(store), catalog);
    expect(seeded.recorded).toBe(seeded.commands);
    const again = await seedDemoLedger(new CommandRunner(store), catalog);
    expect(again.recorded).toBe(0); // repeatable: nothing is recorded twice
    await models.waitFor(await store.headPosition(), 120_000);
    const [report] = loadDeclaredReports(join(__dirname, '../config/reports'), catalog);
    result = reconcile(report, catalog, models.db);
    await models.close();
    await store.close();
  }, 300_000);

  const line = (id: string) => result.lines.find((candidate) => candidate.lineId === id)!;

  it.each([
    ['yulu', 434, '130.2'],
    ['xinjiang-aid', 466, '279.6'],
    ['senior-waiver', 470, '67.21'],
    ['boarding', 1455, '112.8875'],
    ['nutrition', 1714, '113.3551'],
    ['senior-grant', 4464, '892.7'],
    ['zihui', 349, '21'],
    ['origin-loan', 758, '843.25'],
    ['origin-loan-since-july', 381, '406.35'],
  ])('%s agrees to the count and the fen', (id, persons, wanYuan) => {
    expect(line(id)).toMatchObject({ status: 'agrees', ledger: { persons, amountWanYuan: wanYuan }, difference: { count: 0, amountYuan: '0.00' }, reasons: [] });
  });

  it('agrees on the count of the free preschool line, which gives no amount', () => {
    expect(line('preschool-free')).toMatchObject({ status: 'agrees', ledger: { persons: 9305 } });
  });

  it('explains the non-boarding line the standards cannot reproduce', () => {
    expect(line('non-boarding')).toMatchObject({ status: 'differs', ledger: { persons: 30115 }, difference: { count: 0 } });
    expect(line('non-boarding').reasons.join(' ')).toMatch(/more than the standard allows/);
    expect(line('non-boarding').reasons.join(' ')).toMatch(/拟享受/);
  });

  it('explains the headline "as of October" and leaves school finance out of the ledger with a reason', () => {
    expect(['meets_at_least', 'below_at_least']).toContain(line('all-aid-as-of-october').status);
    expect(line('all-aid-as-of-october').reasons.join(' ')).toMatch(/lower bound/);
    for (const l of result.lines.filter((candidate) => candidate.lineId.startsWith('voc-'))) expect(l).toMatchObject({ status: 'not_in_ledger', reasons: [expect.any(String)] });
    for (const l of result.lines.filter((candidate) => candidate.status !== 'agrees')) expect(l.reasons.length).toBeGreaterThan(0);
  });

  it('flags the report’s own inconsistencies', () => {
    const failed = Object.fromEntries(result.consistency.filter((f) => !f.ok).map((f) => [`${f.lineId}/${f.check}`, f.detail]));
    expect(failed['voc-2019-fiscal/children_sum']).toMatch(/46\.63万元 unexplained/);
    expect(failed['voc-2019-other/children_sum']).toMatch(/0\.44万元 unexplained/);
    expect(failed['non-boarding/per_head_over_standard']).toMatch(/662\.97 a head against a standard of at most ¥625\.00/);
    expect(failed['all-aid-as-of-october/headline_scope']).toMatch(/scopes differ/);
    const passed = result.consistency.filter((f) => f.ok).map((f) => `${f.lineId}/${f.check}`);
    expect(passed).toEqual(expect.arrayContaining(['yulu/count_times_standard', 'xinjiang-aid/count_times_standard', 'voc-2020-other/children_sum', 'boarding/per_head_over_standard']));
  });

  it('writes CSV and XLSX whose figures read back', async () => {
    const rows = parse(reconciliationCsv(result), { columns: true }) as Array<Record<string, string>>;
    const yulu = rows.find((row) => row.line === 'yulu')!;
    expect(yulu).toMatchObject({ 'declared count': '434', 'declared 万元': '130.2', 'ledger yuan': '1302000.00', 'ledger 万元': '130.2', status: 'agrees' });
    expect(rows.find((row) => row.line === 'boarding')).toMatchObject({ 'declared yuan': '1128875.00', 'ledger persons': '1455' });

    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await reconciliationXlsx(result)) as never);
    const sheet = workbook.getWorksheet('reconciliation')!;
    const header = (sheet.getRow(1).values as string[]).slice(1);
    const values = (id: string) => {
      let found: Record<string, unknown> | undefined;
      sheet.eachRow((row) => {
        const cells = (row.values as unknown[]).slice(1);
        if (cells[0] === id) found = Object.fromEntries(header.map((h, i) => [h, cells[i]]));
      });
      return found!;
    };
    expect(values('xinjiang-aid')).toMatchObject({ 'ledger yuan': '2796000.00', 'declared 万元': '279.6', status: 'agrees' });
    expect(values('non-boarding')).toMatchObject({ status: 'differs' });
    const checks = workbook.getWorksheet('report consistency')!;
    expect(checks.rowCount).toBe(result.consistency.length + 1);
    expect(reconciliationTable(result)).toMatch(/yulu\s+434\s+434\s+130\.2\s+130\.2\s+agrees/);
  });
});

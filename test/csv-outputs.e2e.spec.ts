import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'supertest';
import { LedgerUnderTest } from './support/ledger-app';
import { paymentRow, writeCsv } from './support/payment-lists';
import { boardingPayment } from './support/students';

const run = promisify(execFile);
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** An answer's body as the bytes sent (supertest would decode it as text). */
const bytesOf = (test: Test) =>
  test.buffer(true).parse((response, callback) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => callback(null, Buffer.concat(chunks)));
  });

/**
 * Every CSV the ledger writes opens in Chinese Excel as text, not mojibake: Excel reads a CSV as
 * UTF-8 only when it starts with a byte-order mark (else as GBK). Each starts with one, and after it
 * the header as before.
 */
describe('CSV files the ledger writes', () => {
  let ledger: LedgerUnderTest;
  const dir = mkdtempSync(join(tmpdir(), 'ledger-csv-outputs-'));
  const badList = join(dir, 'bad-list.csv');
  const cli = (...args: string[]) =>
    run(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), join(__dirname, '../apps/ledger-cli/src/main.ts'), ...args], { env: { ...process.env, LEDGER_DATA_DIR: ledger.dataDir } }).catch(
      (failed: { code: number }) => failed,
    );
  const expectExcelCsv = (bytes: Buffer, header: RegExp) => {
    expect(bytes.subarray(0, 3)).toEqual(BOM);
    expect(bytes.subarray(3).toString('utf8').split(/\r?\n/)[0]).toMatch(header);
  };

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
    await ledger.http.post('/disbursements').send(boardingPayment(5100)).expect(201);
    const rows = [paymentRow(0, 5200), paymentRow(1, 5200)];
    rows[1][6] = '五百元'; // a problem, so that the problem report has a row
    writeCsv(badList, rows);
  });
  afterAll(async () => {
    await ledger.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('over HTTP: the reconciliation, the import problems, the anomalies and the totals', async () => {
    expectExcelCsv((await bytesOf(ledger.as('bureau_staff').get('/reports/yining-2022/reconciliation').query({ format: 'csv' })).expect(200)).body, /^line,text,/);
    expectExcelCsv((await bytesOf(ledger.http.post('/imports').query({ format: 'csv' }).attach('file', badList)).expect(422)).body, /^row,column,code,message$/);
    expectExcelCsv((await bytesOf(ledger.as('auditor').get('/audit/anomalies').query({ format: 'csv' })).expect(200)).body, /^kind,description,/);
    expectExcelCsv((await bytesOf(ledger.http.get('/totals').query({ fiscalYear: 2022, format: 'csv' })).expect(200)).body, /programCode/);
  });

  it('from the CLI: reconcile --csv, import --problems, anomalies --csv', async () => {
    await cli('reconcile', 'yining-2022', '--csv', join(dir, 'reconciliation.csv'));
    expectExcelCsv(readFileSync(join(dir, 'reconciliation.csv')), /^line,text,/);
    await cli('import', badList, '--problems', join(dir, 'problems.csv'));
    expectExcelCsv(readFileSync(join(dir, 'problems.csv')), /^row,column,code,message$/);
    await cli('anomalies', '--csv', join(dir, 'anomalies.csv'));
    expectExcelCsv(readFileSync(join(dir, 'anomalies.csv')), /^kind,description,/);
  });
});

import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_STORE } from '@ledger/application';
import type { EventStore } from '@ledger/event-store';
import { LedgerUnderTest } from './support/ledger-app';
import { HEADERS, csvText, paymentRow, writeCsv, writeXlsx } from './support/payment-lists';
import { recordOf, studentKeyOfStream, valuesInClear } from './support/student-records';
import { boardingPayment, residentId, schoolCode } from './support/students';

/** Payment lists uploaded over HTTP: checked row by row, committed whole or not at all, once. */
describe('importing payment lists', () => {
  let ledger: LedgerUnderTest;
  const dir = mkdtempSync(join(tmpdir(), 'ledger-import-'));
  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
  });
  afterAll(async () => {
    await ledger.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const upload = (path: string, query: Record<string, string> = {}) => ledger.http.post('/imports').query(query).attach('file', path);

  it('commits a valid list of several programs, and the totals equal the file’s sums', async () => {
    const path = join(dir, 'valid.csv');
    writeCsv(path, Array.from({ length: 30 }, (_, i) => paymentRow(i)));
    const dry = await upload(path).expect(200);
    expect(dry.body).toMatchObject({ rows: 30, problems: [], dryRun: true, committed: false });
    const before = await ledger.logPosition();
    expect(await ledger.logPosition()).toBe(before);

    const committed = await upload(path, { commit: 'true' }).expect(201);
    expect(committed.body).toMatchObject({ committed: true, rows: 30, total: { amount: '39805.00' } });
    const totals = await ledger.http.get('/totals').query({ fiscalYear: 2022 }).expect(200);
    const net = Object.fromEntries(totals.body.totals.map((row: { programCode: string; net: unknown }) => [row.programCode, row.net]));
    expect(net.BOARDING_LIVING_SUBSIDY).toMatchObject({ students: 10, amount: { yuan: '5000.00' } });
    expect(net.YULU_PLAN).toMatchObject({ students: 10, amount: { yuan: '30000.00' } });
    expect(net.NUTRITION_IMPROVEMENT).toMatchObject({ students: 10, amount: { yuan: '4805.00' } });
    const history = await ledger.as('auditor').get(`/beneficiaries/${residentId(0, 2011)}/history`).expect(200);
    expect(history.body.events[0]).toMatchObject({ type: 'DisbursementRecorded', actor: { id: 'officer' } });
  });

  it('records the same file once: a second import records nothing and says so', async () => {
    const path = join(dir, 'twice.csv');
    writeCsv(path, Array.from({ length: 6 }, (_, i) => paymentRow(i, 1000)));
    await upload(path, { commit: 'true' }).expect(201);
    const position = await ledger.logPosition();
    const again = await upload(path, { commit: 'true' }).expect(200);
    expect(again.body).toMatchObject({ alreadyImported: true, committed: false });
    expect(await ledger.logPosition()).toBe(position);
  });

  it('commits nothing when three rows are bad, and reports exactly those rows and columns', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => paymentRow(i, 2000));
    // File line = index + 2 (the header is line 1).
    rows[2][1] = `${rows[2][1].slice(0, 17)}${rows[2][1][17] === '0' ? '1' : '0'}`; // line 4: a wrong check character
    rows[6][6] = '520.00'; // line 8: a boarding payment off the ¥500 standard
    rows[9] = [...rows[0]]; // line 11: the first boarding row again: a duplicate within the file
    const path = join(dir, 'bad.csv');
    writeCsv(path, rows);
    const before = await ledger.logPosition();
    const response = await upload(path, { commit: 'true' }).expect(422);
    expect(response.body.committed).toBe(false);
    expect(response.body.problems.map((p: { row: number; column: string; code: string }) => [p.row, p.column, p.code])).toEqual([
      [4, '身份证号', 'RESIDENT_ID_INVALID'],
      [8, '金额', 'AMOUNT_OFF_STANDARD'],
      [11, '学期/学年', 'DUPLICATE_PAYMENT'],
    ]);
    expect(await ledger.logPosition()).toBe(before);
    const csv = await upload(path, { format: 'csv' }).expect(422);
    expect(csv.text.trim().split('\n')).toHaveLength(4);
  });

  it('reports a CSV row with more cells than the header as that (an unquoted comma), not as problems of cells it shifted', async () => {
    const rows = [paymentRow(0, 2100), paymentRow(3, 2100), paymentRow(6, 2100)];
    const line = (row: string[]) => row.join(',');
    // Line 3: an amount written 5,00 without quotes is two cells: 5 under 金额, 00 under 发放日期, the date beyond.
    const text = [HEADERS, rows[0], [...rows[1].slice(0, 6), '5,00', rows[1][7]], rows[2]].map((row) => (row === HEADERS ? row.join(',') : line(row))).join('\n');
    // Line 5: a line with a comma too many at its end (an empty cell beyond the header).
    const path = join(dir, 'shifted.csv');
    writeFileSync(path, `${text}\n${line(paymentRow(9, 2100))},\n`);
    const response = await upload(path).expect(422);
    expect(response.body.problems).toEqual([
      { row: 3, column: '', code: 'IMPORT_ROW_TOO_MANY_CELLS', message: expect.stringMatching(/^row 3 has 9 cells, the header 8: .*comma.*not in quotes/) },
      { row: 5, column: '', code: 'IMPORT_ROW_TOO_MANY_CELLS', message: expect.stringMatching(/^row 5 has 9 cells, the header 8: .*ends with a comma/) },
    ]);
    expect(response.body.rows).toBe(4);
  });

  it('reads XLSX lists the same way', async () => {
    const path = join(dir, 'list.xlsx');
    await writeXlsx(path, Array.from({ length: 9 }, (_, i) => paymentRow(i, 3000)));
    const committed = await upload(path, { commit: 'true' }).expect(201);
    expect(committed.body).toMatchObject({ rows: 9, committed: true, total: { amount: '11941.50' } });
  });

  it('refuses a file without the needed columns, naming them', async () => {
    const path = join(dir, 'columns.csv');
    writeCsv(path, [['x', 'y']], ['名字', '其他']);
    const response = await upload(path).expect(422);
    expect(response.body.problems[0]).toMatchObject({ row: 1, code: 'IMPORT_COLUMNS_MISSING' });
  });

  it('links imported events into the hash chain, onto a student’s earlier payments too: verify passes', async () => {
    const paidBefore = boardingPayment(0, { student: { residentId: residentId(5000, 2011) }, period: '2022-spring', valueDate: '2022-04-20' });
    const earlier = await ledger.http.post('/disbursements').send(paidBefore).expect(201);
    const path = join(dir, 'onto-earlier.csv');
    const rows = Array.from({ length: 6 }, (_, i) => paymentRow(i, 5000));
    writeCsv(path, rows);
    await upload(path, { commit: 'true' }).expect(201);
    const history = await ledger.as('auditor').get(`/beneficiaries/${residentId(5000, 2011)}/history`).expect(200);
    expect(history.body.events.map((event: { type: string }) => event.type)).toEqual(['DisbursementRecorded', 'DisbursementRecorded']);
    // The imported row landed on the record the earlier payment was filed under, by its opaque key.
    expect(await recordOf(ledger, residentId(5000, 2011))).toEqual({ key: studentKeyOfStream(earlier.body.streamId), types: ['DisbursementRecorded', 'DisbursementRecorded'] });
    // The rows' names and resident IDs are in the log only sealed.
    expect(await valuesInClear(ledger.app.get<EventStore>(EVENT_STORE), rows.flatMap(([name, id]) => [name, id]))).toEqual([]);

    const report = await ledger.as('auditor').get('/audit/verify').expect(200);
    expect(report.body).toMatchObject({ ok: true, problems: [] });
    expect(report.body.eventsChecked).toBe(Number(await ledger.logPosition()));
  });

  describe('rows already in the ledger, in a file of other bytes', () => {
    const headers = [...HEADERS, '编号'];
    const numbered = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => [...paymentRow(from + k, 9000), `RE-${from + k}`]);
    const batchEvent = (batchId: string) => {
      const db = new Database(ledger.settings.eventStorePath, { readonly: true });
      const row = db.prepare('SELECT data FROM events WHERE stream_id = ?').pluck().get(`import-${batchId}`) as string | undefined;
      db.close();
      return row === undefined ? undefined : JSON.parse(row);
    };
    let first: { batchId: string };

    beforeAll(async () => {
      const path = join(dir, 'recorded.xlsx');
      await writeXlsx(path, numbered(0, 6), headers);
      first = (await upload(path, { commit: 'true' }).expect(201)).body;
    });

    it.each([
      ['the same rows as CSV', csvText(numbered(0, 6), headers)],
      ['the same rows as CSV with an extra newline', csvText(numbered(0, 6), headers) + '\r\n'],
    ])('%s: records nothing, and says which rows were already recorded and under which batch', async (_what, text) => {
      const path = join(dir, 'again.csv');
      writeFileSync(path, text);
      const position = await ledger.logPosition();
      const again = await upload(path, { commit: 'true' }).expect(200);
      expect(again.body).toMatchObject({ rows: 6, problems: [], committed: false, committedEvents: 0, total: { rows: 0, amount: '0.00' }, totals: [] });
      expect(again.body.alreadyRecorded).toEqual(numbered(0, 6).map((row, k) => ({ row: k + 2, disbursementId: row[8], importBatch: first.batchId })));
      expect(await ledger.logPosition()).toBe(position);
      expect(batchEvent(again.body.batchId)).toBeUndefined();
    });

    it('records only the new rows of a file that mixes them with recorded ones, and its batch event states only those', async () => {
      const path = join(dir, 'mixed.csv');
      writeFileSync(path, csvText(numbered(3, 9), headers)); // rows 3–5 recorded, 6–8 new
      const position = BigInt(await ledger.logPosition());
      const dry = await upload(path).expect(200);
      expect(dry.body).toMatchObject({ rows: 6, total: { rows: 3, amount: '3980.50' }, dryRun: true });
      const mixed = await upload(path, { commit: 'true' }).expect(201);
      expect(mixed.body).toMatchObject({ rows: 6, committed: true, committedEvents: 4, total: { rows: 3, amount: '3980.50' } });
      expect(mixed.body.alreadyRecorded).toEqual([2, 3, 4].map((row, k) => ({ row, disbursementId: `RE-${3 + k}`, importBatch: first.batchId })));
      expect(BigInt(await ledger.logPosition())).toBe(position + 4n);
      expect(batchEvent(mixed.body.batchId)).toMatchObject({ rows: 3, total: { rows: 3, amount: '3980.50' } });
    });

    it('names a payment recorded on its own (not by an import) with no batch', async () => {
      const single = boardingPayment(9600, { disbursementId: 'SINGLE-1' });
      await ledger.http.post('/disbursements').send(single).expect(201);
      const path = join(dir, 'single.csv');
      writeFileSync(path, csvText([['', residentId(9600), schoolCode('21', 1 + (9600 % 5)), '小学', 'BOARDING_LIVING_SUBSIDY', '2022-autumn', '500.00', '2022-10-20', 'SINGLE-1']], headers));
      const response = await upload(path, { commit: 'true' }).expect(200);
      expect(response.body).toMatchObject({ committed: false, committedEvents: 0, alreadyRecorded: [{ row: 2, disbursementId: 'SINGLE-1', importBatch: null }] });
    });

    it('decides a student’s later rows against the ledger and the file’s earlier rows, however many students come between', async () => {
      // More students with a record than the import keeps states of (2,000): the first ones' are read again.
      const STUDENTS = 2_100;
      const boarding = (k: number, period: string, valueDate: string, id: string) => {
        const n = 20_000 + 3 * k;
        return [`学生${n}`, residentId(n, 2011), schoolCode('21', 1 + (n % 9)), '小学', '家庭经济困难寄宿生生活补助', period, '500.00', valueDate, id];
      };
      const autumn = join(dir, 'autumn.csv');
      writeFileSync(autumn, csvText(Array.from({ length: STUDENTS }, (_, k) => boarding(k, '2022年秋季', '2022-10-20', `AUT-${k}`)), headers));
      await upload(autumn, { commit: 'true' }).expect(201);
      const spring = join(dir, 'spring.csv');
      const rows = Array.from({ length: STUDENTS }, (_, k) => boarding(k, '2023年春季', '2023-03-20', `SPR-${k}`));
      rows.push(boarding(0, '2023年春季', '2023-03-20', 'SPR-AGAIN-0'), boarding(1, '2022年秋季', '2022-10-20', 'AUT-AGAIN-1'));
      writeFileSync(spring, csvText(rows, headers));
      const response = await upload(spring, { commit: 'true' }).expect(422);
      expect(response.body.problems.map((p: { row: number; code: string }) => [p.row, p.code])).toEqual([
        [STUDENTS + 2, 'DUPLICATE_PAYMENT'], // paid earlier in this file
        [STUDENTS + 3, 'DUPLICATE_PAYMENT'], // paid by the autumn list
      ]);
    });

    it('refuses a file that lists the same payment twice', async () => {
      const path = join(dir, 'repeated.csv');
      const rows = numbered(20, 23);
      writeFileSync(path, csvText([...rows, rows[1]], headers));
      const response = await upload(path, { commit: 'true' }).expect(422);
      expect(response.body.problems.map((p: { row: number; code: string }) => [p.row, p.code])).toEqual([[5, 'IMPORT_ROW_REPEATED']]);
    });
  });
});

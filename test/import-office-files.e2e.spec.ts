import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerUnderTest } from './support/ledger-app';
import { HEADERS, ListRow, WorkbookCell, csvText, gbk, paymentRow, writeCsv, writeWorkbook } from './support/payment-lists';
import { residentId } from './support/students';

// A time zone west of Greenwich: a date cell read through local time would land on the day before.
process.env.TZ = 'America/Los_Angeles';

/**
 * Payment lists as Chinese offices really make them: workbooks with title rows, instruction sheets,
 * real date cells and a 合计 row; CSVs saved by Chinese Excel in GBK; the forms of dates, amounts,
 * payees and program names such lists use; and files that are not lists at all.
 */
describe('importing the payment lists offices make', () => {
  let ledger: LedgerUnderTest;
  const dir = mkdtempSync(join(tmpdir(), 'ledger-import-office-'));
  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
  });
  afterAll(async () => {
    await ledger.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const upload = (path: string, query: Record<string, string> = {}, filename?: string) =>
    ledger.http.post('/imports').query(query).attach('file', path, filename ? { filename } : undefined);
  const problemsOf = (body: { problems: Array<{ row: number; column: string; code: string }> }) => body.problems.map((p) => [p.row, p.column, p.code]);
  const history = async (index: number, birthYear: number) =>
    (await ledger.as('auditor').get(`/beneficiaries/${residentId(index, birthYear)}/history`).expect(200)).body.events as Array<{ data: Record<string, unknown> }>;

  describe('a file that is not a payment list is refused with a 4xx naming its problem, never a 5xx', () => {
    const cases: Array<[string, string, () => Buffer, RegExp]> = [
      ['an .xlsx that is a CSV renamed', 'renamed.xlsx', () => Buffer.from(csvText([paymentRow(0)])), /not an XLSX workbook/],
      ['an .xlsx of random bytes', 'noise.xlsx', () => Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), /not an XLSX workbook/],
      ['an empty .xlsx', 'empty.xlsx', () => Buffer.alloc(0), /the file is empty/],
      ['a CSV with a quote that never closes', 'open-quote.csv', () => Buffer.from(csvText([paymentRow(0), paymentRow(1)]) + '"学生9,1\r\n'), /line 4/],
      ['a CSV with a stray quote inside a cell', 'stray-quote.csv', () => Buffer.from(csvText([paymentRow(0)]).replace('学生0', '学"生0')), /line 2/],
      ['an .xlsx workbook saved with a .csv name', 'workbook.csv', () => readFileSync(join(dir, 'a-workbook.xlsx')), /XLSX workbook.*\.xlsx/],
      ['an .xlsx cut short', 'cut.xlsx', () => readFileSync(join(dir, 'a-workbook.xlsx')).subarray(0, 3000), /not a readable XLSX workbook/],
      // Zeros inside the sheet's compressed data: exceljs's streaming reader would wait for the rest forever.
      ['an .xlsx damaged inside a sheet', 'damaged-sheet.xlsx', () => zeroedAfter(readFileSync(join(dir, 'a-workbook.xlsx')), 'xl/worksheets/sheet1.xml'), /not a readable XLSX workbook/],
    ];
    const zeroedAfter = (bytes: Buffer, entry: string) => {
      const at = bytes.indexOf(entry) + entry.length;
      return Buffer.concat([bytes.subarray(0, at), Buffer.alloc(64), bytes.subarray(at + 64)]);
    };
    beforeAll(async () => {
      await writeWorkbook(join(dir, 'a-workbook.xlsx'), [{ name: 'Sheet1', rows: [HEADERS, paymentRow(0)] }]);
    });

    it.each(cases)('%s', async (_what, name, bytes, detail) => {
      const path = join(dir, name);
      writeFileSync(path, bytes());
      const before = await ledger.logPosition();
      for (const query of [{}, { commit: 'true' }] as Array<Record<string, string>>) {
        const response = await upload(path, query);
        expect(response.status).toBe(400);
        expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(response.body.code).toMatch(/^IMPORT_FILE_/);
        expect(response.body.detail).toMatch(detail);
        expect(response.body.errors).toEqual([{ field: 'file', message: response.body.detail }]);
      }
      expect(await ledger.logPosition()).toBe(before);
    });

    it('answers damaged copies of a real workbook and a real CSV (bytes flipped, cut short) with 4xx or a report, never 5xx', async () => {
      const workbook = readFileSync(join(dir, 'a-workbook.xlsx'));
      const csv = Buffer.from(csvText(Array.from({ length: 5 }, (_, i) => paymentRow(i, 6900))));
      let seed = 15;
      const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
      const before = await ledger.logPosition();
      for (const [name, original] of [['damaged.xlsx', workbook], ['damaged.csv', csv]] as const) {
        for (let i = 0; i < 30; i++) {
          const bytes = Buffer.from(original);
          if (i % 3 === 0) bytes.subarray(next() % bytes.length).fill(0);
          for (let flip = 0; flip < 1 + (i % 4); flip++) bytes[next() % bytes.length] = next() % 256;
          const path = join(dir, name);
          writeFileSync(path, i % 5 === 4 ? bytes.subarray(0, next() % bytes.length) : bytes);
          const response = await upload(path);
          if (response.status >= 500) throw new Error(`${name} #${i}: ${response.status} ${JSON.stringify(response.body)}`);
        }
      }
      expect(await ledger.logPosition()).toBe(before);
    });

    it('the CLI says the same in one line and exits 1', () => {
      const path = join(dir, 'open-quote.csv');
      writeFileSync(path, csvText([paymentRow(0), paymentRow(1)]) + '"学生9,1\r\n');
      const cli = spawnSync(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), join(__dirname, '../apps/ledger-cli/src/main.ts'), 'import', path], {
        env: { ...process.env, LEDGER_DATA_DIR: ledger.dataDir }, // the service's (the CLI works on an existing ledger)
        encoding: 'utf8',
      });
      expect(cli.status).toBe(1);
      const lines = cli.stderr.split(/\r?\n|\r/).map((line) => line.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').trim()).filter((line) => line !== '' && !/^checking/.test(line));
      expect(lines).toEqual([expect.stringMatching(/^error: open-quote\.csv: .*line 4/)]);
    });
  });

  it('reads real Excel date cells as dates (whatever their format and time zone), and dates written as text', async () => {
    const date = (day: number, numFmt: string, hours = 0): WorkbookCell => ({ value: new Date(Date.UTC(2022, 9, day, hours)), numFmt });
    const rows = [0, 1, 2, 3].map((i) => paymentRow(i * 3, 7000).slice(0, 7) as WorkbookCell[]);
    rows[0].push(date(20, 'yyyy/m/d'));
    rows[1].push(date(21, 'yyyy"年"m"月"d"日"'));
    rows[2].push(date(22, 'yyyy-mm-dd hh:mm', 18)); // 18:00 UTC: still the 22nd
    rows[3].push('2022-10-23');
    const path = join(dir, 'date-cells.xlsx');
    await writeWorkbook(path, [{ name: '发放名单', rows: [HEADERS, ...rows] }]);
    const response = await upload(path, { commit: 'true' });
    expect(problemsOf(response.body)).toEqual([]);
    expect(response.status).toBe(201);
    expect((await history(7000, 2011))[0].data.valueDate).toBe('2022-10-20');
    expect((await history(7003, 2011))[0].data.valueDate).toBe('2022-10-21');
    expect((await history(7006, 2011))[0].data.valueDate).toBe('2022-10-22');
    expect((await history(7009, 2011))[0].data.valueDate).toBe('2022-10-23');
  });

  it('reads a date cell whose format was lost (a bare serial number) as the date Excel shows', async () => {
    const row = paymentRow(0, 7100).slice(0, 7) as WorkbookCell[];
    row.push(44854); // Excel's serial for 2022-10-20 (it counts the 29 February 1900 that never was)
    const path = join(dir, 'serial.xlsx');
    await writeWorkbook(path, [{ name: 'Sheet1', rows: [HEADERS, row] }]);
    expect(problemsOf((await upload(path, { commit: 'true' }).expect(201)).body)).toEqual([]);
    expect((await history(7100, 2011))[0].data.valueDate).toBe('2022-10-20');
  });

  it('reads a GBK CSV (what Chinese Excel saves by default) and says how it read it', async () => {
    const path = join(dir, 'gbk.csv');
    writeFileSync(path, gbk(csvText(Array.from({ length: 6 }, (_, i) => paymentRow(i, 7200)))));
    const dry = await upload(path).expect(200);
    expect(dry.body).toMatchObject({ rows: 6, problems: [], read: { format: 'csv', encoding: 'gb18030', headerRow: 1 } });
    await upload(path, { commit: 'true' }).expect(201);
    expect((await history(7200, 2011))[0].data.beneficiary).toMatchObject({ name: '学生7200' });
  });

  it('reads UTF-8 with or without a byte-order mark', async () => {
    const rows = Array.from({ length: 3 }, (_, i) => paymentRow(i, 7300));
    const withBom = join(dir, 'bom.csv');
    writeFileSync(withBom, '\ufeff' + csvText(rows));
    expect((await upload(withBom).expect(200)).body).toMatchObject({ rows: 3, problems: [], read: { encoding: 'utf-8 (BOM)' } });
    const plain = join(dir, 'plain.csv');
    writeFileSync(plain, csvText(rows));
    expect((await upload(plain).expect(200)).body).toMatchObject({ rows: 3, problems: [], read: { encoding: 'utf-8' } });
  });

  it('refuses a CSV in an encoding it cannot tell, saying what to do', async () => {
    const path = join(dir, 'utf16.csv');
    writeFileSync(path, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csvText([paymentRow(0)]), 'utf16le')]));
    const response = await upload(path).expect(400);
    expect(response.body).toMatchObject({ code: 'IMPORT_FILE_ENCODING' });
    expect(response.body.detail).toMatch(/UTF-16.*CSV UTF-8/);
  });

  it('finds the header under a title row, and the list sheet behind an instructions sheet', async () => {
    const path = join(dir, 'titled.xlsx');
    await writeWorkbook(path, [
      { name: '填表说明', rows: [['填表说明'], ['1. 身份证号请填写18位'], ['2. 金额单位：元'], ['3. 学段填写 小学/初中/高中']] },
      { name: '发放名单', rows: [['2022年秋季学期学生资助发放名单'], ['填报单位：伊宁市教育局', null, null, null, null, null, '单位：元'], HEADERS, ...Array.from({ length: 6 }, (_, i) => paymentRow(i, 7400))] },
    ]);
    const dry = await upload(path).expect(200);
    expect(dry.body).toMatchObject({ rows: 6, problems: [], read: { format: 'xlsx', sheet: '发放名单', headerRow: 3 } });
    const csv = join(dir, 'titled.csv');
    writeFileSync(csv, '2022年秋季学期学生资助发放名单,,,,,,,\r\n' + csvText(Array.from({ length: 3 }, (_, i) => paymentRow(i, 7400))));
    expect((await upload(csv).expect(200)).body).toMatchObject({ rows: 3, problems: [], read: { headerRow: 2 } });
  });

  it('refuses a workbook with payment lists on two sheets, naming them', async () => {
    const path = join(dir, 'two-lists.xlsx');
    await writeWorkbook(path, [
      { name: '秋季', rows: [HEADERS, paymentRow(0, 7500)] },
      { name: '春季', rows: [HEADERS, paymentRow(3, 7500)] },
    ]);
    const response = await upload(path, { commit: 'true' }).expect(422);
    expect(response.body.problems).toEqual([expect.objectContaining({ code: 'IMPORT_SHEETS_AMBIGUOUS', message: expect.stringMatching(/秋季.*春季/) })]);
  });

  it('checks a 合计 row against the rows’ sum instead of paying it, and names a mismatch', async () => {
    const rows = Array.from({ length: 6 }, (_, i) => paymentRow(i, 7600)); // 2 × (500 + 3000 + 480.50) = 7961.00
    const total = (amount: string): ListRow => ['合计', '', '', '', '', '', amount, ''];
    const path = join(dir, 'total.csv');
    writeCsv(path, [...rows, total('7961.00')]);
    const ok = await upload(path).expect(200);
    expect(ok.body).toMatchObject({ rows: 6, problems: [], total: { amount: '7961.00' }, read: { totalRow: 8 } });

    const wrong = join(dir, 'total-wrong.csv');
    writeCsv(wrong, [...rows, total('7916.00')]);
    const response = await upload(wrong, { commit: 'true' }).expect(422);
    expect(problemsOf(response.body)).toEqual([[8, '金额', 'IMPORT_TOTAL_MISMATCH']]);
    expect(response.body.problems[0].message).toMatch(/7916\.00.*7961\.00/);

    const after = join(dir, 'total-not-last.csv');
    writeCsv(after, [...rows.slice(0, 3), total('3980.50'), ...rows.slice(3)]);
    expect(problemsOf((await upload(after).expect(422)).body)).toEqual([[6, '', 'IMPORT_ROW_AFTER_TOTAL']]);
  });

  it('accepts the forms real lists write payees, dates, amounts and short program names in', async () => {
    const headers = [...HEADERS, '收款方类型'];
    const rows: ListRow[] = [
      ['学生0', residentId(7700, 2011), '2165000001', '小学', '寄宿生生活补助', '2022年秋季', '￥500.00', '2022年10月20日', '学生'],
      ['学生1', residentId(7701, 2005), '3665000001', '中职', '雨露计划', '2022-2023学年', '3,000.00', '2022/10/20', '学生'],
      ['学生2', residentId(7702, 2012), '2165000002', '小学', '营养餐', '2022秋', '480.50元', '2022.10.20', '食堂'],
      ['学生3', residentId(7703, 2011), '2165000003', '小学', '寄宿生生活补助', '2022年秋季', '¥500', '20221020', '学生'],
      ['学生4', residentId(7704, 2006), '3465000001', '高中', '高中国家助学金', '2022年秋季', '１０００', '2022-10-20', '学生'],
      ['学生5', residentId(7705, 2006), '3465000001', '高中', '高中免学杂费', '2022年秋季', '715', '2022-10-20', '学校'],
    ];
    const path = join(dir, 'forms.csv');
    writeCsv(path, rows, headers);
    const response = await upload(path, { commit: 'true' });
    expect(problemsOf(response.body)).toEqual([]);
    expect(response.status).toBe(201);
    expect(response.body.total).toMatchObject({ rows: 6, amount: '6195.50' });
    expect((await history(7702, 2012))[0].data).toMatchObject({ programCode: 'NUTRITION_IMPROVEMENT', amount: '480.50', valueDate: '2022-10-20', payee: { type: 'canteen' } });
    expect((await history(7704, 2006))[0].data).toMatchObject({ programCode: 'SENIOR_NATIONAL_GRANT', amount: '1000.00' });
  });

  it('refuses what it cannot read unambiguously, naming the cell', async () => {
    const rows = Array.from({ length: 4 }, (_, i) => paymentRow(i * 3, 7800));
    rows[0][6] = '5,00'; // a thousands separator in the wrong place (or a decimal comma?)
    rows[1][7] = '10/20/2022'; // month first, or day first?
    rows[2][4] = '生活补助'; // boarding or non-boarding?
    const path = join(dir, 'ambiguous.csv');
    writeCsv(path, rows);
    expect(problemsOf((await upload(path).expect(422)).body)).toEqual([
      [2, '金额', 'AMOUNT_INVALID'],
      [3, '发放日期', 'DATE_INVALID'],
      [4, '项目', 'PROGRAM_UNKNOWN'],
    ]);
  });

  it('reports every problem of a row, not only the first', async () => {
    const row = paymentRow(0, 7900);
    row[1] = `${row[1].slice(0, 17)}${row[1][17] === '0' ? '1' : '0'}`; // wrong check character
    row[3] = '大学'; // no such stage
    row[6] = 'five hundred';
    row[7] = '2022-13-45';
    const path = join(dir, 'many-problems.csv');
    writeCsv(path, [row, paymentRow(1, 7900)]);
    expect(problemsOf((await upload(path).expect(422)).body)).toEqual([
      [2, '身份证号', 'RESIDENT_ID_INVALID'],
      [2, '学段', 'FIELD_INVALID'],
      [2, '金额', 'AMOUNT_INVALID'],
      [2, '发放日期', 'DATE_INVALID'],
    ]);
  });

  it('keeps a Chinese file name as it was sent (multipart, UTF-8)', async () => {
    const path = join(dir, 'chinese-name.csv');
    writeCsv(path, Array.from({ length: 3 }, (_, i) => paymentRow(i, 8000)));
    const response = await upload(path, { commit: 'true' }, '2022年秋季发放名单.csv').expect(201);
    expect(response.body.fileName).toBe('2022年秋季发放名单.csv');
    const db = new Database(ledger.settings.eventStorePath, { readonly: true });
    const stored = db.prepare("SELECT data FROM events WHERE type = 'PaymentListImported' AND stream_id = ?").pluck().get(`import-${response.body.batchId}`) as string;
    db.close();
    expect(JSON.parse(stored).fileName).toBe('2022年秋季发放名单.csv');
  });

  it('reads a file name sent in GBK (an old client on Chinese Windows) as GB18030 when it is not UTF-8', async () => {
    const list = Buffer.from(csvText(Array.from({ length: 2 }, (_, i) => paymentRow(i, 8100))));
    /** A multipart body naming the file with these bytes, as such a client writes it (no filename*). */
    const sent = (name: Buffer, parameter = 'filename') => {
      const boundary = 'ledger-test-boundary';
      const body = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; ${parameter === 'filename' ? 'filename="' : `${parameter}=`}`),
        name,
        Buffer.from(`${parameter === 'filename' ? '"' : ''}\r\nContent-Type: text/csv\r\n\r\n`),
        list,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      return ledger.http.post('/imports').set('Content-Type', `multipart/form-data; boundary=${boundary}`).send(body);
    };
    expect((await sent(gbk('2022年秋季发放名单.csv')).expect(200)).body.fileName).toBe('2022年秋季发放名单.csv');
    // 淺 is 0x9C 0x5C in GBK: its second byte is a backslash, which must not cut the name as a path.
    expect((await sent(gbk('淺水小学名单.csv')).expect(200)).body.fileName).toBe('淺水小学名单.csv');
    expect((await sent(Buffer.from('2022年秋季发放名单.csv')).expect(200)).body.fileName).toBe('2022年秋季发放名单.csv');
    expect((await sent(Buffer.from(`UTF-8''${encodeURIComponent('发放名单.csv')}`), 'filename*').expect(200)).body.fileName).toBe('发放名单.csv');
    // A path before the name (old browsers sent the whole path) is not part of it, in either encoding.
    expect((await sent(gbk('C:\\名单\\发放名单.csv')).expect(200)).body.fileName).toBe('发放名单.csv');
    expect((await sent(Buffer.from('/home/li/名单/发放名单.csv')).expect(200)).body.fileName).toBe('发放名单.csv');
  });
});

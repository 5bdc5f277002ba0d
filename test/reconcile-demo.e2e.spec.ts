import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WritePipeline, Reconciliation, demoCommands, reconciliationCsv, reconciliationTable, reconciliationXlsx, seedDemoLedger } from '@ledger/application';
import { Money } from '@ledger/domain';
import { shippedCatalog } from '../libs/domain/src/testing/catalog.fixture';
import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment, residentId as testResidentId } from './support/students';

const run = promisify(execFile);

/** The README's commands that show their output: a one-line bash block followed by a plain block. */
function readmeExamples(): Array<{ command: string; output: string }> {
  const readme = readFileSync(join(__dirname, '../README.md'), 'utf8');
  return [...readme.matchAll(/```bash\n([^\n]+)\n```\n\n```\n([\s\S]*?)\n```/g)].map(([, command, output]) => ({ command, output }));
}
const example = (pattern: RegExp) => {
  const found = readmeExamples().filter(({ command }) => pattern.test(command));
  expect(found).toHaveLength(1);
  return found[0];
};

/** What `jq [-r|-c] '.a, .b[0].c'` prints for a JSON body: enough jq for the README's examples. */
function jq(body: unknown, args: string[]): string {
  const raw = args.includes('-r');
  const filter = args.filter((arg) => !arg.startsWith('-')).join(' ').replace(/^'|'$/g, '');
  return filter
    .split(',')
    .map((path) => path.trim().match(/\.[A-Za-z]+|\[\d+\]/g)!.reduce<any>((value, step) => (step.startsWith('[') ? value[Number(step.slice(1, -1))] : value[step.slice(1)]), body))
    .map((value) => (raw && typeof value === 'string' ? value : JSON.stringify(value)))
    .join('\n');
}

/**
 * The demo ledger of Yining's 2022 aid, recorded through the real command path of the service,
 * reconciled with the 2022 report: what the standards allow agrees to the fen and the count; every
 * other line carries its reasons and its difference in parts that add up to it; the report's own
 * inconsistencies are flagged. The README's examples on the demo are run as written and print
 * what the README shows.
 */
describe('the demo ledger and the 2022 report', () => {
  const catalog = shippedCatalog();
  /** The working directory of the README's commands, with the demo's data in `data-demo`. */
  const workDir = mkdtempSync(join(tmpdir(), 'ledger-demo-'));
  const dataDir = join(workDir, 'data-demo');
  let ledger: LedgerUnderTest;
  let result: Reconciliation;
  afterAll(async () => {
    await ledger?.stop().catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  });

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start({ LEDGER_DATA_DIR: dataDir, LEDGER_READ_WAIT_MS: '120000' });
    const runner = ledger.app.get(WritePipeline);
    const seeded = await seedDemoLedger(runner, catalog);
    expect(seeded.recorded).toBe(seeded.commands);
    const again = await seedDemoLedger(runner, catalog);
    expect(again.recorded).toBe(0); // repeatable: nothing is recorded twice
    result = (await ledger.as('bureau_staff').get('/reports/yining-2022/reconciliation').expect(200)).body;
    // Seeding gives 49,530 students their keys and seals their fields: about 12 s on an idle machine (5 s
    // before the key store), several times that on a busy one.
  }, 600_000);

  const line = (id: string) => result.lines.find((candidate) => candidate.lineId === id)!;
  const wanYuan = (text: string) => Money.fromWanYuan(text.replace('-', '')).times(text.startsWith('-') ? -1 : 1);

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
  ])('%s agrees to the count and the fen', (id, persons, amount) => {
    expect(line(id)).toMatchObject({ status: 'agrees', ledger: { persons, amountWanYuan: amount }, difference: { count: 0, amountYuan: '0.00' }, reasons: [] });
  });

  it('agrees on the count of the free preschool line, which gives no amount', () => {
    expect(line('preschool-free')).toMatchObject({ status: 'agrees', ledger: { persons: 9305 } });
  });

  it('explains the whole non-boarding difference: the term the ledger holds no approvals for, and the report beyond the standard', () => {
    const nonBoarding = line('non-boarding');
    expect(nonBoarding).toMatchObject({ status: 'differs', ledger: { persons: 30115, amountWanYuan: '846.98125' }, difference: { count: 0, amountWanYuan: '-1149.5625' } });
    expect(nonBoarding.reasons.join(' ')).toMatch(/拟享受/);
    const parts = nonBoarding.explanation!.parts;
    expect(parts.map((part) => part.amountWanYuan)).toEqual(['846.98125', '302.58125']);
    expect(Money.sum(parts.map((part) => Money.parse(part.amountYuan.replace('-', '')).times(part.amountYuan.startsWith('-') ? -1 : 1))).toWanYuan()).toBe('1149.5625');
    expect(parts[0].detail).toMatch(/^2022-spring: the ledger holds no approvals; at the standard for the same 30115 students, 15058 primary × ¥250\.00 \+ 15057 junior × ¥312\.50 = 846\.98125万元$/);
    expect(parts[1].detail).toMatch(/^the whole of 2022 at the standard for the declared 30115 persons .*: 1693\.9625万元; the report’s 1996\.54375万元 exceeds it by 302\.58125万元/);
    expect(nonBoarding.explanation!.ledger).toBe('the ledger holds approvals for 2022-autumn: 15058 primary × ¥250.00 + 15057 junior × ¥312.50 = 846.98125万元');
  });

  it('explains the headline "as of October" from the ledger valued up to that day, in parts that add up to the difference', async () => {
    const headline = line('all-aid-as-of-october');
    expect(headline.status).toBe('below_at_least');
    expect(headline.reasons.join(' ')).toMatch(/lower bound/);
    const parts = headline.explanation!.parts;
    const gap = wanYuan(headline.declared.amountWanYuan!).minus(wanYuan(headline.ledger!.amountWanYuan));
    expect(Money.sum(parts.map((part) => wanYuan(part.amountWanYuan))).toString()).toBe(gap.toString());
    expect(parts.reduce((total, part) => total + part.persons!, 0)).toBe(headline.declared.count! - headline.ledger!.persons);
    // The ledger's side is what GET /totals?valuedUpTo= gives for the headline's programs (the demo's students are one program each).
    const totals = await ledger.as('auditor').get('/totals').query({ fiscalYear: 2022, valuedUpTo: '2022-10-31' }).expect(200);
    const ofHeadline = totals.body.totals.filter((row: { programCode: string }) => headline.programs.includes(row.programCode));
    expect(Money.sum(ofHeadline.map((row: { net: { amount: { yuan: string } } }) => Money.parse(row.net.amount.yuan))).toString()).toBe(headline.ledger!.amountYuan);
    expect(ofHeadline.reduce((total: number, row: { net: { students: number } }) => total + row.net.students, 0)).toBe(headline.ledger!.persons);
  });

  it('leaves school finance out of the ledger with a reason, and gives every line that does not agree its reasons', () => {
    for (const l of result.lines.filter((candidate) => candidate.lineId.startsWith('voc-'))) expect(l).toMatchObject({ status: 'not_in_ledger', reasons: [expect.any(String)] });
    for (const l of result.lines.filter((candidate) => candidate.status !== 'agrees')) expect(l.reasons.length).toBeGreaterThan(0);
  });

  it('flags the report’s own inconsistencies', () => {
    const failed = Object.fromEntries(result.consistency.filter((f) => !f.ok).map((f) => [`${f.lineId}/${f.check}`, f.detail]));
    expect(failed['voc-2019-fiscal/children_sum']).toMatch(/46\.63万元 unexplained/);
    expect(failed['voc-2019-other/children_sum']).toMatch(/0\.44万元 unexplained/);
    expect(failed['non-boarding/per_head_over_standard']).toMatch(/662\.97 a head \(rounded half-up to the fen\) against a standard of at most ¥625\.00 a year/);
    expect(failed['all-aid-as-of-october/headline_scope']).toMatch(/add up to 47868 persons .*scopes differ/);
    const passed = result.consistency.filter((f) => f.ok).map((f) => `${f.lineId}/${f.check}`);
    expect(passed).toEqual(expect.arrayContaining(['yulu/count_times_standard', 'xinjiang-aid/count_times_standard', 'voc-2020-other/children_sum', 'boarding/per_head_over_standard']));
  });

  it('writes CSV and XLSX whose figures read back', async () => {
    const rows = parse(reconciliationCsv(result), { bom: true, columns: true }) as Array<Record<string, string>>;
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

  it.each([/totals\?fiscalYear=2022&valuedUpTo=2022-10-31'/, /valuedUpTo=2022-10-31&recordedBy=2022-11-15/, /totals\?asOf=/])('answers the README’s %s as it shows', async (pattern) => {
    const { command, output } = example(pattern);
    const [, path, jqArgs] = /^curl -s -H "\$A" 'localhost:3000(\/[^']+)' \| jq (.+)$/.exec(command)!;
    const head = await ledger.logPosition();
    const response = await ledger.as('auditor').get(path);
    expect(response.status).toBe(pattern.source.includes('asOf=') ? 400 : 200);
    expect(jq(response.body, jqArgs.split(' '))).toBe(output);
    expect(await ledger.logPosition()).toBe(head);
  });

  it('downloads the totals valued up to a day as CSV too, not the totals of today', async () => {
    const valued = await ledger.as('auditor').get('/totals').query({ fiscalYear: 2022, valuedUpTo: '2022-10-31', format: 'csv' }).expect(200);
    const today = await ledger.as('auditor').get('/totals').query({ fiscalYear: 2022, format: 'csv' }).expect(200);
    const programs = (csv: string) => (parse(csv.replace(/^\ufeff/, ''), { columns: true }) as Array<Record<string, string>>).map((row) => row.programCode);
    expect(programs(today.text)).toContain('XINJIANG_AID_GRANT'); // paid on 5 November
    expect(programs(valued.text)).not.toContain('XINJIANG_AID_GRANT');
    expect(programs(valued.text)).toContain('BOARDING_LIVING_SUBSIDY');
  });

  it('refuses a bad point in time field by field, recording nothing', async () => {
    const head = await ledger.logPosition();
    const refused = await ledger.as('auditor').get('/totals').query({ valuedUpTo: '31.10.2022', recordedBy: 'yesterday', asOfPosition: '-1' });
    expect(refused.status).toBe(400);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body.errors).toEqual([
      { field: 'valuedUpTo', message: 'valuedUpTo must be a date YYYY-MM-DD' },
      { field: 'recordedBy', message: 'recordedBy must be a date YYYY-MM-DD' },
      { field: 'asOfPosition', message: 'asOfPosition must be a log position (a whole number)' },
    ]);
    expect(await ledger.logPosition()).toBe(head);
  });

  describe('the README’s CLI commands on the demo', () => {
    const outputs = new Map<string, { code: number; stdout: string; stderr: string }>();
    /** Runs a README command line (`VAR=value npm run cli -- args`) in the working directory, on the sources. */
    const cli = async (command: string) => {
      const [, env, args] = /^((?:[A-Z_]+=\S+ )*)npm run cli -- (.+)$/.exec(command)!;
      const variables = Object.fromEntries(env.trim().split(/\s+/).filter(Boolean).map((pair) => pair.split('=')));
      try {
        const { stdout, stderr } = await run(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), join(__dirname, '../apps/ledger-cli/src/main.ts'), ...args.split(' ')], {
          cwd: workDir,
          env: { ...process.env, ...variables },
        });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const failed = error as { code: number; stdout: string; stderr: string };
        return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
      }
    };
    beforeAll(async () => {
      await ledger.close(); // the CLI reads the files alone
      for (const pattern of [/ reconcile yining-2022 /, / replay --valued-up-to /]) {
        const { command } = example(pattern);
        outputs.set(pattern.source, await cli(command));
      }
      outputs.set('until-date', await cli('LEDGER_DATA_DIR=data-demo npm run cli -- replay --until-date 2022-10-31'));
    }, 120_000);

    it('reconciles the demo exactly as the README shows, and as the service answers', () => {
      const printed = outputs.get(/ reconcile yining-2022 /.source)!;
      expect(printed.code).toBe(0);
      expect(printed.stdout.trimEnd()).toBe(example(/ reconcile yining-2022 /).output);
      expect(printed.stdout.trimEnd()).toBe(`${result.report.title.zh}\n\n${reconciliationTable(result)}`);
      expect(existsSync(join(workDir, 'reconciliation.csv')) && existsSync(join(workDir, 'reconciliation.xlsx'))).toBe(true);
    });

    it('replays the demo valued up to 31 October exactly as the README shows', () => {
      const printed = outputs.get(/ replay --valued-up-to /.source)!;
      expect(printed.code).toBe(0);
      expect(printed.stdout.trimEnd()).toBe(example(/ replay --valued-up-to /).output);
      expect(printed.stdout).toMatch(/BOARDING_LIVING_SUBSIDY.*'112\.8875'/);
      expect(printed.stdout).not.toMatch(/XINJIANG_AID_GRANT/); // paid on 5 November
    });

    it('refuses --until-date, naming the two questions it could mean', () => {
      const printed = outputs.get('until-date')!;
      expect(printed.code).toBe(1);
      expect(printed.stderr).toMatch(/--until-date is ambiguous .*--valued-up-to <date>.*--recorded-by <date>/);
      expect(printed.stdout).toBe('');
    });
  });
  /**
   * The proof at the demo's size: after one student is erased — a demo student, and one paid
   * to a guardian's card — none of their identifiers, name or card is in any byte of the data
   * directory or of a backup made afterwards; the log verifies, an inclusion proof of the erased
   * student's payment checks with the CLI; totals and the reconciliation are unchanged to the fen.
   */
  describe('erasing students of the demo-size ledger', () => {
    const demoStudent = (demoCommands()[0].data as { student: { residentId: string } }).student.residentId;
    const id = testResidentId(9001, 2011);
    const name = '热依拉·阿不都';
    const card = '6217002930105551234';
    const filesUnder = (dir: string): string[] => readdirSync(dir).flatMap((entry) => (statSync(join(dir, entry)).isDirectory() ? filesUnder(join(dir, entry)) : [join(dir, entry)]));
    const holding = (paths: string[], text: string) => paths.filter((path) => readFileSync(path).includes(Buffer.from(text, 'utf8')));
    const cliOn = (...args: string[]) => run(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), join(__dirname, '../apps/ledger-cli/src/main.ts'), ...args], { env: { ...process.env, LEDGER_DATA_DIR: dataDir }, maxBuffer: 64 * 2 ** 20 });
    let studentKey: string;
    let totalsBefore: Record<string, unknown>;
    let reconciliationBefore: unknown;

    beforeAll(async () => {
      await ledger.close().catch(() => undefined); // closed already when the CLI's block ran
      ledger = await LedgerUnderTest.reopen(dataDir, ledger.tokens, { LEDGER_DATA_DIR: dataDir, LEDGER_READ_WAIT_MS: '120000' });
      const paid = await ledger.http
        .post('/disbursements')
        .send(boardingPayment(9001, { disbursementId: 'erase-demo-1', student: { residentId: id, name }, payee: { type: 'student', account: card } }))
        .expect(201);
      studentKey = paid.body.streamId.replace(/^beneficiary-/, '');
      totalsBefore = (await ledger.as('auditor').get('/totals?fiscalYear=2022').expect(200)).body;
      reconciliationBefore = (await ledger.as('bureau_staff').get('/reports/yining-2022/reconciliation').expect(200)).body;
      for (const student of [id, demoStudent]) {
        await ledger.as('admin').post(`/students/${student}/erasure`).send({ legalBasis: 'PURPOSE_ACHIEVED', reference: 'PIPL-DEMO-1' }).expect(201);
      }
    }, 120_000);

    it('holds neither student’s resident ID, the name nor the card in any byte of the data directory, nor of a backup made afterwards', async () => {
      const backup = join(workDir, 'after-erasure.sqlite');
      await cliOn('backup', backup);
      const paths = [...filesUnder(dataDir), backup];
      expect(paths.some((path) => path.endsWith('ledger.sqlite')) && paths.some((path) => path.endsWith('read-models.sqlite'))).toBe(true);
      for (const text of [id, `G${id}`, name, card, demoStudent]) expect({ text, files: holding(paths, text) }).toEqual({ text, files: [] });
      // Erased, not merely sealed: no identifier leads to either record any more.
      for (const student of [id, demoStudent]) expect((await ledger.as('auditor').get(`/beneficiaries/${student}/history`)).status).toBe(404);
      // A student who stays is still there, sealed (no file holds their ID in clear either): the service opens it.
      const kept = (demoCommands()[1].data as { student: { residentId: string } }).student.residentId;
      expect(holding(paths, kept)).toEqual([]);
      expect((await ledger.as('auditor').get(`/beneficiaries/${kept}/history`).expect(200)).body.events[0].data.beneficiary.residentId).toBe(kept);
    });

    it('leaves the totals and the reconciliation with the report as they were, to the fen', async () => {
      const totals = (await ledger.as('auditor').get('/totals?fiscalYear=2022').expect(200)).body;
      expect({ ...totals, asOfPosition: 'any' }).toEqual({ ...totalsBefore, asOfPosition: 'any' });
      const reconciliation = (await ledger.as('bureau_staff').get('/reports/yining-2022/reconciliation').expect(200)).body;
      expect(JSON.stringify(reconciliation).replace(/"asOfPosition":"\d+"/g, '')).toBe(JSON.stringify(reconciliationBefore).replace(/"asOfPosition":"\d+"/g, ''));
    });

    it('verifies, and an inclusion proof of the erased student’s payment in a signed digest checks with the CLI', async () => {
      const digest = (await ledger.as('auditor').post('/audit/digests').expect(200)).body.digest;
      const history = (await ledger.as('auditor').get(`/beneficiaries/${studentKey}/history`).expect(200)).body;
      expect(history.events[0].data.beneficiary.name).toBe('erased');
      const proof = (await ledger.as('auditor').get('/audit/proofs/inclusion').query({ eventId: history.events[0].eventId, treeSize: digest.treeSize }).expect(200)).body;
      const publicKey = (await ledger.as('auditor').get('/audit/public-key').expect(200)).body.publicKey;
      const file = (fileName: string, content: unknown) => {
        const path = join(workDir, fileName);
        writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
        return path;
      };
      const checked = await run(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), join(__dirname, '../apps/ledger-cli/src/main.ts'), 'check-inclusion', '--proof', file('proof.json', proof), '--digest', file('digest.json', digest), '--public-key', file('key.pem', publicKey)], {
        env: { ...process.env, LEDGER_DATA_DIR: join(workDir, 'no-ledger-here') },
      });
      expect(checked.stdout).toMatch(new RegExp(`^OK: event ${history.events[0].eventId} is leaf \\d+ of the signed tree`));
      await ledger.close(); // the CLI's verify reads the files alone
      const verified = await cliOn('verify');
      expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, digestsChecked: expect.any(Number) });
    }, 120_000);
  });
});

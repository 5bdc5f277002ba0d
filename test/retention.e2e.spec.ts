import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDate } from '@ledger/domain';
import { LedgerUnderTest } from './support/ledger-app';
import { runCli } from './support/cli';
import { studentKeyOfStream } from './support/student-records';
import { boardingPayment, residentId } from './support/students';

/** Boarding subsidy for autumn 2016 (ended 31 January 2017): under the shipped rule (five years after the last activity), due since 1 February 2022. */
const oldPayment = (i: number, id: string) => boardingPayment(i, { disbursementId: id, period: '2016-autumn', valueDate: '2016-10-20' });

/**
 * Retention through the real service: the list of students due (GET /personal-data/retention-due,
 * the keys masked for the admin) and its count, on a service whose
 * clock is pinned; then the CLI (`retention`, `retention --erase`) beside a service on the system's clock.
 */
describe('retention: who is due for erasure, over HTTP', () => {
  let ledger: LedgerUnderTest;
  let oldKey: string;
  let recentKey: string;

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start({}, { clock: { today: () => '2024-06-30' as LocalDate } });
    oldKey = studentKeyOfStream((await ledger.http.post('/disbursements').send(oldPayment(1, 'old-1')).expect(201)).body.streamId);
    // Spring 2024 (ends 31 July 2024): kept until 2029.
    const recent = boardingPayment(2, { disbursementId: 'recent-1', period: '2024-spring', amount: '500.00', valueDate: '2024-04-20' });
    recentKey = studentKeyOfStream((await ledger.http.post('/disbursements').send(recent).expect(201)).body.streamId);
    // Aided in 2016 and again in 2024, by another program: not due.
    await ledger.http.post('/disbursements').send(oldPayment(3, 'old-3')).expect(201);
    await ledger.http.post('/disbursements').send(boardingPayment(3, { disbursementId: 'recent-3', programCode: 'NON_BOARDING_LIVING_SUBSIDY', period: '2024-spring', amount: '250.00', valueDate: '2024-04-20' })).expect(201);
  });
  afterAll(async () => {
    await ledger.stop();
  });

  it('lists exactly the student whose every rule has run out, by their opaque key, to the auditor', async () => {
    const due = await ledger.as('auditor').get('/personal-data/retention-due').expect(200);
    expect(due.body).toEqual({
      today: '2024-06-30',
      asOfPosition: expect.any(String),
      count: 1,
      students: [{ studentKey: oldKey, dueSince: '2022-02-01', programs: [{ programCode: 'BOARDING_LIVING_SUBSIDY', anchor: '2017-01-31', dueFrom: '2022-02-01' }] }],
      notListedUnderIdentifiers: 0,
      keptOnLegalHold: 0,
    });
    expect(JSON.stringify(due.body)).not.toContain(recentKey);
    expect(JSON.stringify(due.body)).not.toContain(residentId(1));
  });

  it('masks the key for the admin, records no disclosure (keys, programs and dates: no identifier), and gives the count to both', async () => {
    const disclosures = async () =>
      (await ledger.as('auditor').get('/audit/personal-data-access?limit=1000').expect(200)).body.disclosures as unknown[];
    const before = await disclosures();
    const masked = await ledger.as('admin').get('/personal-data/retention-due').expect(200);
    expect(masked.body.students[0]).toEqual({
      studentKey: `${oldKey.slice(0, 6)}${'*'.repeat(oldKey.length - 10)}${oldKey.slice(-4)}`,
      dueSince: '2022-02-01',
      programs: [{ programCode: 'BOARDING_LIVING_SUBSIDY', anchor: '2017-01-31', dueFrom: '2022-02-01' }],
    });
    await ledger.as('auditor').get('/personal-data/retention-due').expect(200);
    expect(await disclosures()).toHaveLength(before.length);
    for (const role of ['admin', 'auditor'] as const) {
      expect((await ledger.as(role).get('/personal-data/retention-due/count').expect(200)).body).toEqual({ today: '2024-06-30', asOfPosition: expect.any(String), due: 1 });
    }
  });

  it('refuses the roles that record or read aid, and a parameter the route does not take (400, naming it)', async () => {
    for (const role of ['finance_officer', 'bureau_staff'] as const) {
      expect((await ledger.as(role).get('/personal-data/retention-due')).status).toBe(403);
      expect((await ledger.as(role).get('/personal-data/retention-due/count')).status).toBe(403);
    }
    const bad = await ledger.as('auditor').get('/personal-data/retention-due?programCode=YULU_PLAN');
    expect({ status: bad.status, type: bad.headers['content-type'], field: bad.body.errors?.[0]?.field }).toEqual({ status: 400, type: expect.stringContaining('application/problem+json'), field: 'programCode' });
  });

  it('leaves out a student on legal hold (counted as kept), and lists them again once the hold is lifted', async () => {
    await ledger.as('admin').post(`/students/${oldKey}/legal-hold`).send({ legalBasis: 'STATUTORY_RETENTION', reference: 'ARCH-2024-1' }).expect(201);
    const held = await ledger.as('auditor').get('/personal-data/retention-due').expect(200);
    expect({ count: held.body.count, keptOnLegalHold: held.body.keptOnLegalHold }).toEqual({ count: 0, keptOnLegalHold: 1 });
    expect((await ledger.as('admin').get('/personal-data/retention-due/count').expect(200)).body.due).toBe(0);
    await ledger.as('admin').post(`/students/${oldKey}/legal-hold/lift`).send({ reference: 'ARCH-2024-1', reason: 'the archive review is closed' }).expect(201);
    const lifted = await ledger.as('auditor').get('/personal-data/retention-due').expect(200);
    expect({ keys: lifted.body.students.map((student: { studentKey: string }) => student.studentKey), keptOnLegalHold: lifted.body.keptOnLegalHold }).toEqual({ keys: [oldKey], keptOnLegalHold: 0 });
  });

  it('no longer lists a student once erased', async () => {
    await ledger.as('admin').post(`/students/${oldKey}/erasure`).send({ legalBasis: 'RETENTION_ENDED', reference: 'R-2024-1' }).expect(201);
    expect((await ledger.as('auditor').get('/personal-data/retention-due/count').expect(200)).body.due).toBe(0);
  });
});

describe('retention on the command line: `retention` lists, `retention --erase` erases', () => {
  let ledger: LedgerUnderTest;
  let oldKey: string;
  let recentKey: string;
  const china = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
  // This school year's autumn term, paid today (the service and the CLI run on the system's clock).
  const schoolYearNow = Number(china.slice(0, 4)) - (Number(china.slice(5, 7)) >= 9 ? 0 : 1);
  const dir = mkdtempSync(join(tmpdir(), 'ledger-retention-cli-'));

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
    oldKey = studentKeyOfStream((await ledger.http.post('/disbursements').send(oldPayment(11, 'old-11')).expect(201)).body.streamId);
    const recent = boardingPayment(12, { disbursementId: 'recent-12', period: `${schoolYearNow}-autumn`, amount: '625.00', valueDate: china });
    recentKey = studentKeyOfStream((await ledger.http.post('/disbursements').send(recent).expect(201)).body.streamId);
    // A read through the service: its read models (which the CLI reads) have applied every write.
    await ledger.as('auditor').get('/personal-data/retention-due/count').expect(200);
  });
  afterAll(async () => {
    await ledger.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists exactly the old record as a table, as JSON and as CSV, and names no identifier', async () => {
    const table = await runCli(ledger.dataDir, 'retention');
    expect(table.code).toBe(0);
    expect(table.stdout.trim().split('\n')).toEqual(['studentKey\tdueSince\tprograms (anchor → due from)', `${oldKey}\t2022-02-01\tBOARDING_LIVING_SUBSIDY 2017-01-31 → 2022-02-01`]);
    expect(table.stderr).toContain(`1 student(s) due for erasure on ${china}`);
    const json = JSON.parse((await runCli(ledger.dataDir, 'retention', '--json')).stdout);
    expect(json.students.map((student: { studentKey: string }) => student.studentKey)).toEqual([oldKey]);
    const csvFile = join(dir, 'due.csv');
    expect((await runCli(ledger.dataDir, 'retention', '--csv', csvFile)).code).toBe(0);
    expect(readFileSync(csvFile, 'utf8').replace(/^\ufeff/, '').trim().split('\n')).toEqual(['studentKey,dueSince,programCode,anchor,dueFrom', `${oldKey},2022-02-01,BOARDING_LIVING_SUBSIDY,2017-01-31,2022-02-01`]);
    for (const output of [table.stdout, table.stderr, readFileSync(csvFile, 'utf8')]) {
      expect(output).not.toContain(recentKey);
      expect(output).not.toContain(residentId(11));
    }
  });

  it('erases nothing without confirmation (no terminal, no --yes), without --reference, or by someone not an admin', async () => {
    const before = await ledger.logPosition();
    const unconfirmed = await runCli(ledger.dataDir, 'retention', '--erase', '--as', 'admin', '--reference', 'R-1');
    expect({ code: unconfirmed.code, stderr: unconfirmed.stderr }).toEqual({ code: 1, stderr: expect.stringMatching(/not confirmed: answer y\/N on a terminal, or pass --yes; nothing erased/) });
    const noReference = await runCli(ledger.dataDir, 'retention', '--erase', '--as', 'admin', '--yes');
    expect({ code: noReference.code, stderr: noReference.stderr }).toEqual({ code: 1, stderr: expect.stringMatching(/--reference/) });
    const officer = await runCli(ledger.dataDir, 'retention', '--erase', '--as', 'officer', '--reference', 'R-1', '--yes');
    expect(officer.code).toBe(1);
    expect(await ledger.logPosition()).toBe(before);
    expect((await ledger.as('auditor').get(`/beneficiaries/${oldKey}/history`).expect(200)).body.events[0].data.beneficiary.residentId).toBe(residentId(11));
  });

  it('asks y/N on a terminal, and erases nothing on anything but y', async () => {
    const before = await ledger.logPosition();
    // A terminal for the CLI: util-linux `script` runs it on a pseudo-terminal and passes our input to it.
    const cli = [process.execPath, '-r', join(__dirname, 'support/register-ts.js'), join(__dirname, '../apps/ledger-cli/src/main.ts'), 'retention', '--erase', '--as', 'admin', '--reference', 'R-TTY'];
    const onTerminal = spawnSync('script', ['-qec', cli.map((arg) => `'${arg}'`).join(' '), '/dev/null'], { input: 'n\n', encoding: 'utf8', env: { ...process.env, LEDGER_DATA_DIR: ledger.dataDir }, timeout: 60_000 });
    expect({ status: onTerminal.status, output: onTerminal.stdout }).toEqual({ status: 0, output: expect.stringMatching(/erase the personal data of these 1 student\(s\) \(RETENTION_ENDED, R-TTY\)\? y\/N [\s\S]*not confirmed: nothing erased/) });
    expect(await ledger.logPosition()).toBe(before);
  });

  it('erases every student due with --yes through the erasure command: the look-up reads erased, the totals are unchanged, none is due again', async () => {
    const totalsBefore = (await ledger.as('auditor').get('/totals?fiscalYear=2016').expect(200)).body.totals;
    const erased = await runCli(ledger.dataDir, 'retention', '--erase', '--as', 'admin', '--reference', 'R-2026-7', '--yes');
    expect(erased.code).toBe(0);
    expect(erased.stdout).toContain('erased the personal data of 1 of 1 student(s) due (RETENTION_ENDED, R-2026-7); 0 already erased, 0 failed');
    const history = await ledger.as('auditor').get(`/beneficiaries/${oldKey}/history`).expect(200);
    expect(history.body.events.map((event: { type: string }) => event.type)).toEqual(['DisbursementRecorded', 'StudentDataErased']);
    expect(history.body.events[0].data.beneficiary.residentId).toBe('erased');
    expect(history.body.events[1].data).toMatchObject({ legalBasis: 'RETENTION_ENDED', reference: 'R-2026-7' });
    expect(history.body.events[1].metadata?.actor ?? history.body.events[1].actor).toMatchObject({ id: 'admin' });
    expect((await ledger.as('auditor').get(`/beneficiaries/${residentId(11)}/history`)).status).toBe(404);
    // The recent student keeps their data.
    expect((await ledger.as('auditor').get(`/beneficiaries/${recentKey}/history`).expect(200)).body.events[0].data.beneficiary.residentId).toBe(residentId(12));
    expect((await ledger.as('auditor').get('/totals?fiscalYear=2016').expect(200)).body.totals).toEqual(totalsBefore);
    const again = await runCli(ledger.dataDir, 'retention', '--erase', '--as', 'admin', '--reference', 'R-2026-8', '--yes');
    expect({ code: again.code, stdout: again.stdout, stderr: again.stderr }).toEqual({ code: 0, stdout: '', stderr: expect.stringContaining('no student due for erasure') });
  });
});

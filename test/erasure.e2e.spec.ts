import { execFile } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment, residentId } from './support/students';

/** Every file under `dir` (the data directory, its key store included), with its bytes. */
function filesUnder(dir: string): Array<{ path: string; bytes: Buffer }> {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [{ path, bytes: readFileSync(path) }];
  });
}

/** The files holding `text`, as UTF-8 and as UTF-16 (how SQLite could store it in a UTF-16 database). */
const filesHolding = (dir: string, text: string) =>
  filesUnder(dir)
    .filter(({ bytes }) => bytes.includes(Buffer.from(text, 'utf8')) || bytes.includes(Buffer.from(text, 'utf16le')))
    .map(({ path }) => path.slice(dir.length + 1));

describe('erasing a student’s personal data', () => {
  const id = residentId(301);
  const studentNumber = `G${id}`;
  const name = '古丽米拉·艾力';
  const card = '6222020200118899';
  const log: string[] = [];
  let ledger: LedgerUnderTest;
  let studentKey: string;

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start({}, { logDestination: { write: (line: string) => void log.push(line) } });
    const paid = await ledger.http
      .post('/disbursements')
      .send(boardingPayment(301, { disbursementId: 'erase-1', student: { residentId: id, studentNumber, name }, payee: { type: 'student', account: card } }))
      .expect(201);
    studentKey = paid.body.streamId.replace(/^beneficiary-/, '');
    await ledger.http.post('/disbursements').send(boardingPayment(301, { disbursementId: 'erase-2', student: { studentNumber }, period: '2022-spring', valueDate: '2022-04-20' })).expect(201);
    await ledger.http.post('/disbursements/erase-2/reversal').send({ reason: `${name} 的卡号 ${card} 错误`, valueDate: '2022-05-01' }).expect(201);
    // Another student, who stays.
    await ledger.http.post('/disbursements').send(boardingPayment(302, { disbursementId: 'stays', student: { residentId: residentId(302), name: '阿布都' } })).expect(201);
  });
  afterAll(async () => {
    await ledger.stop();
  });

  it('before the erasure: the record is under an opaque key, and no file holds the student’s data in clear', async () => {
    expect(studentKey).toMatch(/^s[0-9a-z]{26}$/);
    for (const text of [id, name, card]) expect(filesHolding(ledger.dataDir, text)).toEqual([]);
    const history = await ledger.as('auditor').get(`/beneficiaries/${id}/history`).expect(200);
    expect(history.body.studentKey).toBe(studentKey);
    expect(history.body.events[0].data.beneficiary).toEqual({ key: studentKey, residentId: id, studentNumber, name });
    expect(history.body.events[0].data.payee.account).toBe(card);
  });

  it('keeps the log, the read models, their WAL files and the service lock readable by their owner alone (0600)', () => {
    const files = readdirSync(ledger.dataDir).filter((file) => /^(ledger|read-models)\.sqlite|^service\./.test(file));
    expect(files).toEqual(expect.arrayContaining(['ledger.sqlite', 'read-models.sqlite', 'service.lock', 'service.holder']));
    for (const file of files) expect({ file, mode: (statSync(join(ledger.dataDir, file)).mode & 0o777).toString(8) }).toEqual({ file, mode: '600' });
  });

  it('refuses what is not an erasure: other roles, a bad legal basis, a student with no record — and appends nothing', async () => {
    const before = await ledger.logPosition();
    const body = { legalBasis: 'RETENTION_ENDED', reference: 'PIPL-2026-0042' };
    for (const role of ['finance_officer', 'auditor', 'bureau_staff'] as const) {
      expect((await ledger.as(role).post(`/students/${id}/erasure`).send(body)).status).toBe(403);
    }
    const badBasis = await ledger.as('admin').post(`/students/${id}/erasure`).send({ ...body, legalBasis: 'BECAUSE' });
    expect({ status: badBasis.status, field: badBasis.body.errors?.[0]?.field }).toEqual({ status: 400, field: 'legalBasis' });
    // The reference is kept in clear for good, past the erasure: one naming the student is refused.
    for (const reference of [`${name}-${id}`, '6222 0212 3456 7890 128', `12${id}`, `${id.slice(0, 6)}\u200b${id.slice(6)}`]) {
      const naming = await ledger.as('admin').post(`/students/${id}/erasure`).send({ legalBasis: 'RETENTION_ENDED', reference });
      expect({ reference, status: naming.status, field: naming.body.errors?.[0]?.field }).toEqual({ reference, status: 400, field: 'reference' });
      expect(JSON.stringify(naming.body)).not.toContain(id);
    }
    const noReference = await ledger.as('admin').post(`/students/${id}/erasure`).send({ legalBasis: 'RETENTION_ENDED' });
    expect(noReference.status).toBe(400);
    const unknown = await ledger.as('admin').post(`/students/${residentId(399)}/erasure`).send(body);
    expect({ status: unknown.status, code: unknown.body.code }).toEqual({ status: 404, code: 'STUDENT_RECORD_NOT_FOUND' });
    expect(await ledger.logPosition()).toBe(before);
  });

  describe('after the erasure', () => {
    let totalsBefore: unknown;
    let keysBeforeErasure: string;

    beforeAll(async () => {
      totalsBefore = (await ledger.as('auditor').get('/totals?fiscalYear=2022').expect(200)).body;
      // A copy of the key store taken before the erasure: a backup that must not bring the data back.
      keysBeforeErasure = join(ledger.dataDir, '..', `${studentKey}-keys-backup`);
      cpSync(join(ledger.dataDir, 'keys'), keysBeforeErasure, { recursive: true });
      const erased = await ledger.as('admin').post(`/students/${id}/erasure`).send({ legalBasis: 'RETENTION_ENDED', reference: 'PIPL-2026-0042' }).expect(201);
      // The admin sees personal data masked: the record's key too (a pseudonym is still personal data).
      expect(erased.body.studentKey).toBe(`${studentKey.slice(0, 6)}${'*'.repeat(studentKey.length - 10)}${studentKey.slice(-4)}`);
      expect(erased.body.events.map((event: { type: string }) => event.type)).toEqual(['StudentDataErased']);
    });
    afterAll(() => rmSync(keysBeforeErasure, { recursive: true, force: true }));

    it('leaves every amount, count and total as it was, to the fen', async () => {
      // The same table (only the log position it was read at moved: the erasure is an event).
      expect({ ...(await ledger.as('auditor').get('/totals?fiscalYear=2022').expect(200)).body, asOfPosition: 'any' }).toEqual({ ...(totalsBefore as object), asOfPosition: 'any' });
      const payment = await ledger.as('auditor').get('/disbursements/erase-1').expect(200);
      expect(payment.body).toMatchObject({ beneficiaryKey: studentKey, amount: '500.00', status: 'paid' });
      expect(payment.body.student).toBeUndefined();
    });

    it('shows `erased` where the data was, in the record’s history, by its key (no identifier leads to it any more)', async () => {
      const history = await ledger.as('auditor').get(`/beneficiaries/${studentKey}/history`).expect(200);
      expect(history.body.events.map((event: { type: string }) => event.type)).toEqual(['DisbursementRecorded', 'DisbursementRecorded', 'DisbursementReversed', 'StudentDataErased']);
      expect(history.body.events[0].data.beneficiary).toEqual({ key: studentKey, residentId: 'erased', studentNumber: 'erased', name: 'erased' });
      expect(history.body.events[0].data.payee.account).toBe('erased');
      expect(history.body.events[2].data.reason).toBe('erased');
      expect(history.body.events[0].data.amount).toBe('500.00');
      expect((await ledger.as('auditor').get(`/beneficiaries/${id}/history`)).status).toBe(404);
    });

    it('holds the student’s resident ID, student number, name and card in no byte of any file: log, read models, key store, service log', async () => {
      for (const text of [id, studentNumber, name, card]) expect(filesHolding(ledger.dataDir, text)).toEqual([]);
      expect(log.join('').includes(id) || log.join('').includes(card) || log.join('').includes(name)).toBe(false);
      // The other student's data is still there, sealed: it opens.
      const other = await ledger.as('auditor').get(`/beneficiaries/${residentId(302)}/history`).expect(200);
      expect(other.body.events[0].data.beneficiary.name).toBe('阿布都');
    });

    it('holds none of it in a backup made afterwards, nor in the log export', async () => {
      const backup = join(ledger.dataDir, '..', `${studentKey}-backup.sqlite`);
      await promisify(execFile)(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), join(__dirname, '../apps/ledger-cli/src/main.ts'), 'backup', backup], {
        env: { ...process.env, LEDGER_DATA_DIR: ledger.dataDir },
      });
      const exported = await ledger.as('auditor').get('/audit/export').buffer(true).parse((response, done) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => done(null, Buffer.concat(chunks)));
      });
      expect(exported.status).toBe(200);
      try {
        expect((statSync(backup).mode & 0o777).toString(8)).toBe('600');
        for (const bytes of [readFileSync(backup), exported.body as Buffer]) {
          expect(bytes.length).toBeGreaterThan(1000);
          for (const text of [id, studentNumber, name, card]) expect(bytes.includes(Buffer.from(text, 'utf8'))).toBe(false);
        }
        // The export still holds the erased student's payments: their keys and amounts, sealed fields and all.
        expect((exported.body as Buffer).includes(Buffer.from(studentKey))).toBe(true);
      } finally {
        rmSync(backup, { force: true });
      }
    });

    it('still verifies: every hash and chain link, and — with the CLI — an inclusion proof of the erased student’s payment in a signed digest', async () => {
      const verified = await ledger.as('auditor').get('/audit/verify').expect(200);
      expect(verified.body).toMatchObject({ ok: true });
      const digest = (await ledger.as('auditor').post('/audit/digests').expect(200)).body.digest;
      const history = await ledger.as('auditor').get(`/beneficiaries/${studentKey}/history`).expect(200);
      const proof = (await ledger.as('auditor').get('/audit/proofs/inclusion').query({ eventId: history.body.events[0].eventId, treeSize: digest.treeSize }).expect(200)).body;
      const publicKey = (await ledger.as('auditor').get('/audit/public-key').expect(200)).body.publicKey;
      const file = (name: string, content: unknown) => {
        const path = join(ledger.dataDir, '..', `${studentKey}-${name}`);
        writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
        return path;
      };
      const args = ['check-inclusion', '--proof', file('proof.json', proof), '--digest', file('digest.json', digest), '--public-key', file('key.pem', publicKey)];
      const { stdout } = await promisify(execFile)(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), join(__dirname, '../apps/ledger-cli/src/main.ts'), ...args], {
        env: { ...process.env, LEDGER_DATA_DIR: join(ledger.dataDir, 'no-ledger-here') },
      });
      expect(stdout).toMatch(new RegExp(`^OK: event ${history.body.events[0].eventId} is leaf \\d+ of the signed tree`));
    });

    it('refuses to erase again, and records nothing more on the erased record', async () => {
      const again = await ledger.as('admin').post(`/students/${studentKey}/erasure`).send({ legalBasis: 'RETENTION_ENDED', reference: 'again' });
      expect({ status: again.status, code: again.body.code, field: again.body.errors?.[0]?.field }).toEqual({ status: 409, code: 'STUDENT_DATA_ALREADY_ERASED', field: 'student' });
      expect(again.body.detail).toMatch(/^该学生的个人信息已删除 \/ /);
      const reversal = await ledger.http.post('/disbursements/erase-1/reversal').send({ reason: 'late', valueDate: '2022-11-01' });
      expect({ status: reversal.status, code: reversal.body.code, field: reversal.body.errors?.[0]?.field }).toEqual({ status: 409, code: 'STUDENT_RECORD_ERASED', field: 'student' });
    });

    it('erases from the command line too (`erase-student --as <admin>`), beside the running service', async () => {
      const other = residentId(302);
      const cli = (...args: string[]) =>
        promisify(execFile)(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), join(__dirname, '../apps/ledger-cli/src/main.ts'), ...args], {
          env: { ...process.env, LEDGER_DATA_DIR: ledger.dataDir },
        });
      // Read (its data key unwrapped, and kept in the service's memory) before another process erases it.
      const before = await ledger.as('auditor').get(`/beneficiaries/${other}/history`).expect(200);
      expect(before.body.events[0].data.beneficiary.name).toBe('阿布都');
      await expect(cli('erase-student', other, '--legal-basis', 'RETENTION_ENDED', '--reference', 'CLI-1')).rejects.toMatchObject({ stderr: expect.stringMatching(/--as <userId>/) });
      const { stdout } = await cli('erase-student', other, '--as', 'admin', '--legal-basis', 'RETENTION_ENDED', '--reference', 'CLI-1');
      expect(stdout).toMatch(/^erased the personal data of record s[0-9a-z]{26} /);
      expect(stdout).not.toContain(other);
      expect((await ledger.as('auditor').get(`/beneficiaries/${other}/history`)).status).toBe(404);
      // The service serves no key another process destroyed: the record reads erased at once.
      const after = await ledger.as('auditor').get(`/beneficiaries/${before.body.studentKey}/history`).expect(200);
      expect(after.body.events[0].data.beneficiary.name).toBe('erased');
      expect(filesHolding(ledger.dataDir, '阿布都')).toEqual([]);
    });

    it('stays erased when a key store from before the erasure is restored: the log’s erasure destroys the key again at start', async () => {
      await ledger.restart(() => {
        rmSync(join(ledger.dataDir, 'keys'), { recursive: true, force: true });
        cpSync(keysBeforeErasure, join(ledger.dataDir, 'keys'), { recursive: true });
      });
      const history = await ledger.as('auditor').get(`/beneficiaries/${studentKey}/history`).expect(200);
      expect(history.body.events[0].data.beneficiary.residentId).toBe('erased');
      for (const text of [id, studentNumber, name, card]) expect(filesHolding(ledger.dataDir, text)).toEqual([]);
      expect(log.some((line) => line.includes('erased student(s)') && line.includes('destroyed again'))).toBe(true);
    });
  });
});

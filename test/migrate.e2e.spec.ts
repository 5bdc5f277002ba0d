import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BeneficiaryCommands, EVENT_STORE, WritePipeline, WriteContext, hashRequest, loadCatalog, writeContextFor } from '@ledger/application';
import { parseRecordDisbursement, parseRecordLoanDisbursement, parseReverseDisbursement } from '@ledger/domain';
import { EventStore } from '@ledger/event-store';
import { runCli } from './support/cli';
import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment, residentId, studentNumberJ } from './support/students';

/** Every file under `dir`, recursively, with its bytes. */
function filesUnder(dir: string): Array<{ path: string; bytes: Buffer }> {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({ path, bytes: readFileSync(path) }));
}

const fingerprint = (dir: string) => Object.fromEntries(filesUnder(dir).map(({ path, bytes }) => [path, createHash('sha256').update(bytes).digest('hex')]));

/**
 * A ledger written before the key store — students filed under their resident IDs, names, cards and
 * reasons in clear, an identifier linked in its own stream — with one student the service recorded
 * under an opaque key beside them, migrated with the CLI into a new data directory.
 */
describe('migrate: a ledger with personal data in clear into the encrypted form', () => {
  let ledger: LedgerUnderTest;
  const scratch = mkdtempSync(join(tmpdir(), 'ledger-migrate-'));
  const to = join(scratch, 'migrated');
  const officer = { id: 'officer', role: 'finance_officer' };
  const [a, b, c, d, e] = [residentId(601), residentId(602), residentId(603), residentId(604), residentId(605)];
  const bJ = studentNumberJ(602);
  const names = ['阿依古丽', '买买提江', '古丽娜尔', '热依拉', '努尔兰'];
  let erasedKey: string;
  const cards = ['6222020200112233', '6217000010001234567', '6228480402564890018'];
  const reversalReason = '重复发放 买买提江';
  const retried = boardingPayment(601, { disbursementId: 'mig-a-1', student: { residentId: a, name: names[0] }, payee: { type: 'student', account: cards[0] } });
  let signed: { treeSize: number; rootHash: string; keyId: string };
  let oldTotals: unknown;
  let oldReplay: string;
  let oldReconciliation: string;
  let oldFiles: Record<string, string>;
  let migrated: Awaited<ReturnType<typeof runCli>>;
  let migratedAt: string;

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start({ LEDGER_DIGEST_QUIET_MS: '0' });
    const store = ledger.app.get<EventStore>(EVENT_STORE);
    // The old form: a pipeline with no key store files students under their identifiers, in clear.
    const old = new BeneficiaryCommands(new WritePipeline(store), loadCatalog(join(__dirname, '../config/programs.yaml')));
    const asOfficer = (what: string): WriteContext => writeContextFor(officer, what);
    // As an HTTP request recorded it: with its Idempotency-Key and request hash.
    await old.execute(parseRecordDisbursement(retried), { ...asOfficer('pay a'), idempotencyKey: 'mig-key-1', requestHash: hashRequest('POST', '/disbursements', { params: {}, body: retried }) });
    // b named by resident ID and J number: the J number linked in a stream of its own.
    await old.execute(parseRecordDisbursement(boardingPayment(602, { disbursementId: 'mig-b-1', student: { residentId: b, studentNumber: bJ, name: names[1] }, payee: { type: 'student', account: cards[1] } })), asOfficer('pay b'));
    await old.execute(parseRecordDisbursement(boardingPayment(602, { disbursementId: 'mig-b-2', student: { studentNumber: bJ }, period: '2023-spring', valueDate: '2023-03-20' })), asOfficer('pay b again'));
    await old.execute(parseReverseDisbursement({ student: { residentId: b }, disbursementId: 'mig-b-2', reason: reversalReason, reasonCode: 'DUPLICATE_PAYMENT', valueDate: '2023-04-01' }), asOfficer('reverse b'));
    const loan = { student: { residentId: c, name: names[2] }, loanId: 'mig-c-loan', stage: 'undergraduate', schoolCode: '4165010694', programCode: 'ORIGIN_CREDIT_LOAN', period: '2022-2023', amount: '8000.00', payee: { type: 'university_fee_account', account: cards[2] }, valueDate: '2022-10-10' };
    await old.execute(parseRecordLoanDisbursement(loan), asOfficer('loan c'));
    // d recorded by the service as it is now: under an opaque key, sealed.
    await ledger.http.post('/disbursements').send(boardingPayment(604, { disbursementId: 'mig-d-1', student: { residentId: d, name: names[3] } })).expect(201);
    // e recorded so and erased there: the copy keeps their seals, which nothing can open any more.
    erasedKey = (await ledger.http.post('/disbursements').send(boardingPayment(605, { disbursementId: 'mig-e-1', student: { residentId: e, name: names[4] } })).expect(201)).body.streamId.replace('beneficiary-', '');
    await ledger.as('admin').post(`/students/${e}/erasure`).send({ legalBasis: 'RETENTION_ENDED', reference: 'MIG-E' }).expect(201);
  });
  afterAll(async () => {
    await LedgerUnderTest.closeLeftovers();
    rmSync(ledger.dataDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  it('refuses a ledger with no signed digest, saying to sign one first, and makes nothing', async () => {
    const refused = await runCli(ledger.dataDir, 'migrate', '--from', ledger.dataDir, '--to', to);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/has no signed digest.*sign one \(POST \/audit\/digests/);
    expect(existsSync(to)).toBe(false);
  });

  it('given a signed digest, copies the ledger into a new directory, leaving the old one as it was', async () => {
    signed = (await ledger.as('auditor').post('/audit/digests').send({}).expect(200)).body.digest;
    // One more after the digest: copied too, covered by the old head recorded beside it.
    await ledger.http.post('/disbursements').send(boardingPayment(604, { disbursementId: 'mig-d-2', student: { residentId: d }, period: '2023-spring', valueDate: '2023-03-20' })).expect(201);
    oldTotals = (await ledger.as('bureau_staff').get('/totals').expect(200)).body;
    await ledger.close();
    oldReplay = (await runCli(ledger.dataDir, 'replay')).stdout;
    oldReconciliation = (await runCli(ledger.dataDir, 'reconcile')).stdout;
    oldFiles = fingerprint(ledger.dataDir);

    migratedAt = new Date().toISOString();
    migrated = await runCli(ledger.dataDir, 'migrate', '--from', ledger.dataDir, '--to', to);
    expect(migrated.stderr).not.toMatch(/error/);
    expect(migrated.code).toBe(0);
    const report = JSON.parse(migrated.stdout);
    expect(report).toMatchObject({
      students: 5,
      erasedStudents: 1,
      leftOut: { LogDigestSigned: 1, StudentIdentifierLinked: 1 },
      lastSignedDigest: { treeSize: signed.treeSize, rootHash: signed.rootHash, keyId: signed.keyId },
      eventsAfterLastDigest: 2, // the digest's own event and the payment after it
      newDigest: { keyId: signed.keyId },
    });
    expect(report.copied).toBe(report.oldEvents - 2);
    expect(migrated.stderr).toMatch(/migrated \d+ of \d+ events/);
    expect(fingerprint(ledger.dataDir)).toEqual(oldFiles);
  });

  it('the new ledger verifies, and verify shows the old log it was migrated from', async () => {
    const verified = await runCli(to, 'verify');
    expect(verified.code).toBe(0);
    const report = JSON.parse(verified.stdout);
    expect(report.ok).toBe(true);
    expect(report.digestsChecked).toBe(1);
    expect(report.migratedFrom).toMatchObject({ position: '1', lastSignedDigest: { treeSize: signed.treeSize, rootHash: signed.rootHash, keyId: signed.keyId, signatureValid: true }, leftOut: { LogDigestSigned: 1, StudentIdentifierLinked: 1 } });
    expect(verified.stderr).toContain(`migrated from: root ${signed.rootHash} size ${signed.treeSize}`);
  });

  it('totals and the reconciliation are the old ones to the fen', async () => {
    expect((await runCli(to, 'replay')).stdout).toBe(oldReplay);
    expect((await runCli(to, 'reconcile')).stdout).toBe(oldReconciliation);
    const service = await LedgerUnderTest.reopen(to, ledger.tokens);
    try {
      expect((await service.as('bureau_staff').get('/totals').expect(200)).body).toEqual(oldTotals);
    } finally {
      await service.close();
    }
  });

  it('the service on the new ledger finds each student by their identifiers under an opaque key, replays a retried request and records new ones', async () => {
    const service = await LedgerUnderTest.reopen(to, ledger.tokens);
    try {
      const history = (await service.as('auditor').set('X-Purpose', 'migration test').get(`/beneficiaries/${a}/history`).expect(200)).body;
      expect(history.studentKey).toMatch(/^s[0-9a-z]{26}$/);
      // Each event as first recorded: its time in the old log, not the migration's.
      expect(history.events[0].recordedAt < migratedAt).toBe(true);
      expect(JSON.stringify(history)).toContain(names[0]);
      // The users' changes too (the officer was added when the old ledger started).
      const users = (await service.as('admin').get('/users').expect(200)).body;
      const officerChanges = (users.users ?? users).find((user: { userId: string }) => user.userId === 'officer').changes;
      expect(officerChanges.length).toBeGreaterThan(0);
      for (const change of officerChanges) expect(change.at < migratedAt).toBe(true);
      const byJ = (await service.as('auditor').set('X-Purpose', 'migration test').get(`/beneficiaries/${bJ}/history`).expect(200)).body;
      expect(JSON.stringify(byJ)).toContain(reversalReason);
      const before = await service.logPosition();
      const again = await service.http.post('/disbursements').set('Idempotency-Key', 'mig-key-1').send(retried).expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(await service.logPosition()).toBe(before);
      const paid = await service.http.post('/disbursements').send(boardingPayment(601, { disbursementId: 'mig-a-2', student: { residentId: a }, period: '2023-spring', valueDate: '2023-03-20' })).expect(201);
      expect(paid.body.streamId).toMatch(/^beneficiary-s[0-9a-z]{26}$/);
      // The student erased before the migration stays erased: under their key, nothing to open; their ID leads nowhere.
      const erased = (await service.http.set('X-Purpose', 'migration test').get(`/beneficiaries/${erasedKey}/history`).expect(200)).body;
      expect(erased.events.map((event: { type: string }) => event.type)).toEqual(['DisbursementRecorded', 'StudentDataErased']);
      expect(erased.events[0].data.beneficiary.residentId).toBe('erased');
      await service.http.set('X-Purpose', 'migration test').get(`/beneficiaries/${e}/history`).expect(404);
    } finally {
      await service.close();
    }
  });

  it('holds no resident ID, student number, name, card or reason in clear in any file of the new log and read models', () => {
    const files = filesUnder(to).filter(({ path }) => !path.includes(`${join(to, 'keys')}`));
    expect(files.map(({ path }) => path).some((path) => path.endsWith('read-models.sqlite'))).toBe(true);
    for (const secret of [a, b, c, d, e, bJ, ...names, ...cards, reversalReason]) {
      for (const { path, bytes } of files) {
        if (bytes.includes(Buffer.from(secret, 'utf8'))) throw new Error(`${path} holds ${secret} in clear`);
      }
    }
  });

  it('erases a migrated student: verify still passes', async () => {
    const erased = await runCli(to, 'erase-student', a, '--as', 'admin', '--legal-basis', 'PURPOSE_ACHIEVED', '--reference', 'MIG-1');
    expect(erased.stderr).toBe('');
    expect(erased.stdout).toMatch(/^erased the personal data of record s[0-9a-z]{26}/);
    expect((await runCli(to, 'verify')).code).toBe(0);
  });

  it('refuses a non-empty target and a log whose chain is broken, writing nothing', async () => {
    const occupied = join(scratch, 'occupied');
    mkdirSync(occupied);
    writeFileSync(join(occupied, 'notes.txt'), 'keep');
    const intoOccupied = await runCli(ledger.dataDir, 'migrate', '--from', ledger.dataDir, '--to', occupied);
    expect(intoOccupied.code).toBe(1);
    expect(intoOccupied.stderr).toMatch(/is not empty/);
    expect(readdirSync(occupied)).toEqual(['notes.txt']);

    const broken = join(scratch, 'broken');
    cpSync(ledger.dataDir, broken, { recursive: true });
    const db = new Database(join(broken, 'ledger.sqlite'));
    db.exec('DROP TRIGGER events_refuse_update');
    db.prepare("UPDATE events SET data = replace(data, '\"8000.00\"', '\"800.00\"') WHERE type = 'LoanDisbursed'").run();
    db.close();
    const fromBroken = await runCli(broken, 'migrate', '--from', broken, '--to', join(scratch, 'from-broken'));
    expect(fromBroken.code).toBe(1);
    expect(fromBroken.stderr).toMatch(/does not verify \(content_changed at position \d+/);
    expect(existsSync(join(scratch, 'from-broken'))).toBe(false);
  });

  it('stops half-way without the old key store to open its sealed records, and leaves no new ledger behind', async () => {
    const keyless = join(scratch, 'keyless');
    cpSync(ledger.dataDir, keyless, { recursive: true });
    rmSync(join(keyless, 'keys'), { recursive: true });
    const emptyTarget = join(scratch, 'empty-target');
    mkdirSync(emptyTarget);
    const stopped = await runCli(keyless, 'migrate', '--from', keyless, '--to', emptyTarget);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(/holds sealed records but .*keys has no key store/);
    // The empty directory it was given stays, and stays empty.
    expect(readdirSync(emptyTarget)).toEqual([]);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_STORE, READ_MODELS } from '@ledger/application';
import { EventStore } from '@ledger/event-store';
import { ReadModels, dumpTables, legalHoldsProjection, rebuildReadModels } from '@ledger/projections';
import { runCli } from './support/cli';
import { LedgerUnderTest } from './support/ledger-app';
import { writeCsv } from './support/payment-lists';
import { boardingPayment, residentId, schoolCode } from './support/students';

/**
 * Legal hold (PIPL Art. 47, storage only) end to end, through the real app over HTTP and the CLI:
 * a held student's record takes no write, their personal data is read by auditors alone — with a
 * purpose, each read recorded naming them — and nothing of the money changes.
 */
describe('legal hold (storage only)', () => {
  const id = residentId(401);
  const studentNumber = `G${id}`;
  const name = '努尔比亚·买买提';
  const card = '6222020200117766';
  let ledger: LedgerUnderTest;
  let studentKey: string;
  let totalsBefore: unknown;

  const totals = async () => ({ ...(await ledger.as('auditor').get('/totals?fiscalYear=2022').expect(200)).body, asOfPosition: 'any' });
  const hold = (student: string, body: Record<string, unknown> = { legalBasis: 'STATUTORY_RETENTION', reference: 'ARCH-2026-0007' }) =>
    ledger.as('admin').post(`/students/${student}/legal-hold`).send(body);
  const lift = (student: string, body: Record<string, unknown> = { reference: 'ARCH-2026-0007', reason: 'the archive review is closed' }) =>
    ledger.as('admin').post(`/students/${student}/legal-hold/lift`).send(body);
  const accessRecord = async () => (await ledger.as('auditor').get('/audit/personal-data-access?limit=1000').expect(200)).body.disclosures as Array<Record<string, unknown>>;

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
    const paid = await ledger.http
      .post('/disbursements')
      .send(boardingPayment(401, { disbursementId: 'hold-1', student: { residentId: id, studentNumber, name }, payee: { type: 'student', account: card } }))
      .expect(201);
    studentKey = paid.body.streamId.replace(/^beneficiary-/, '');
    await ledger.http.post('/disbursements').send(boardingPayment(402, { disbursementId: 'free-1', student: { residentId: residentId(402), name: '阿布都' } })).expect(201);
    totalsBefore = await totals();
  });
  afterAll(async () => {
    await ledger.stop();
  });

  it('refuses what is not a hold: other roles, a bad legal basis, no reference, a student with no record, a lift of no hold — and appends nothing', async () => {
    const before = await ledger.logPosition();
    for (const role of ['finance_officer', 'auditor', 'bureau_staff'] as const) {
      expect((await ledger.as(role).post(`/students/${id}/legal-hold`).send({ legalBasis: 'STATUTORY_RETENTION', reference: 'x' })).status).toBe(403);
      expect((await ledger.as(role).post(`/students/${id}/legal-hold/lift`).send({ reference: 'x', reason: 'x' })).status).toBe(403);
    }
    const badBasis = await hold(id, { legalBasis: 'BECAUSE', reference: 'x' });
    expect({ status: badBasis.status, field: badBasis.body.errors?.[0]?.field }).toEqual({ status: 400, field: 'legalBasis' });
    expect((await hold(id, { legalBasis: 'STATUTORY_RETENTION' })).status).toBe(400);
    const unknown = await hold(residentId(499));
    expect({ status: unknown.status, code: unknown.body.code }).toEqual({ status: 404, code: 'STUDENT_RECORD_NOT_FOUND' });
    const notHeld = await lift(id);
    expect({ status: notHeld.status, code: notHeld.body.code }).toEqual({ status: 409, code: 'STUDENT_NOT_ON_HOLD' });
    expect(await ledger.logPosition()).toBe(before);
  });

  describe('while the student is on hold', () => {
    beforeAll(async () => {
      const held = await hold(id).expect(201);
      expect(held.body.events.map((event: { type: string }) => event.type)).toEqual(['StudentPlacedOnLegalHold']);
    });

    it('refuses a second hold: 409 STUDENT_ALREADY_ON_HOLD, nothing appended', async () => {
      const before = await ledger.logPosition();
      const again = await hold(studentKey);
      expect({ status: again.status, code: again.body.code }).toEqual({ status: 409, code: 'STUDENT_ALREADY_ON_HOLD' });
      expect(await ledger.logPosition()).toBe(before);
    });

    it('refuses the officer’s writes naming the student (a payment, a reversal): 409 STUDENT_ON_LEGAL_HOLD in Chinese and English on the student field, the log as long as before', async () => {
      const before = await ledger.logPosition();
      const payment = await ledger.http.post('/disbursements').send(boardingPayment(401, { disbursementId: 'hold-2', student: { studentNumber }, period: '2022-spring', valueDate: '2022-04-20' }));
      expect({ status: payment.status, code: payment.body.code, type: payment.headers['content-type'] }).toEqual({
        status: 409,
        code: 'STUDENT_ON_LEGAL_HOLD',
        type: expect.stringContaining('application/problem+json'),
      });
      expect(payment.body.errors).toEqual([{ field: 'student', message: expect.stringMatching(/法律保留.*legal hold/) }]);
      const reversal = await ledger.http.post('/disbursements/hold-1/reversal').send({ reason: 'wrong card', valueDate: '2022-11-01' });
      expect({ status: reversal.status, code: reversal.body.code }).toEqual({ status: 409, code: 'STUDENT_ON_LEGAL_HOLD' });
      expect(await ledger.logPosition()).toBe(before);
    });

    it('refuses a payment list naming the student (the row, 422), and records none of the list', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'legal-hold-'));
      try {
        const list = join(dir, 'list.csv');
        writeCsv(list, [[name, id, schoolCode('21', 2), '小学', '家庭经济困难寄宿生生活补助', '2023年春季', '500.00', '2023-04-20']]);
        const before = await ledger.logPosition();
        const imported = await ledger.http.post('/imports').query({ commit: 'true' }).attach('file', list);
        expect({ status: imported.status, body: JSON.stringify(imported.body) }).toEqual({ status: 422, body: expect.stringContaining('STUDENT_ON_LEGAL_HOLD') });
        expect(await ledger.logPosition()).toBe(before);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('shows the officer and bureau staff `封存 on legal hold` where the personal data is, in the look-up and the history', async () => {
      const officer = await ledger.as('finance_officer').get('/disbursements/hold-1').expect(200);
      expect(officer.body.student).toEqual({ residentId: '封存 on legal hold', name: '封存 on legal hold' });
      expect(officer.body).toMatchObject({ amount: '500.00', legalHold: { legalBasis: 'STATUTORY_RETENTION', reference: 'ARCH-2026-0007' } });
      const staff = await ledger.as('bureau_staff').get('/disbursements/hold-1').expect(200);
      expect(staff.body.student).toEqual({ residentId: '封存 on legal hold', name: '封存 on legal hold' });
      expect(staff.body.legalHold).toEqual(officer.body.legalHold);
      const history = await ledger.as('finance_officer').get(`/beneficiaries/${id}/history`).expect(200);
      expect(history.body.events[0].data.beneficiary).toEqual({ key: studentKey, residentId: '封存 on legal hold', studentNumber: '封存 on legal hold', name: '封存 on legal hold' });
      expect(history.body.events[0].data.payee.account).toBe('封存 on legal hold');
      expect(history.body.events.map((event: { type: string }) => event.type)).toEqual(['DisbursementRecorded', 'StudentPlacedOnLegalHold']);
      for (const text of [id, studentNumber, name, card]) expect(JSON.stringify([officer.body, staff.body, history.body])).not.toContain(text);
    });

    it('refuses the auditor’s read without a purpose (400 on X-Purpose), and records nothing', async () => {
      const before = await accessRecord();
      for (const path of ['/disbursements/hold-1', `/beneficiaries/${id}/history`]) {
        const refused = await ledger.as('auditor').get(path);
        expect({ status: refused.status, code: refused.body.code, field: refused.body.errors?.[0]?.field }).toEqual({ status: 400, code: 'PURPOSE_REQUIRED', field: 'X-Purpose' });
        expect(JSON.stringify(refused.body)).not.toContain(name);
      }
      expect((await accessRecord()).length).toBe(before.length);
      // A student not on hold is read as before, without a purpose.
      await ledger.as('auditor').get('/disbursements/free-1').expect(200);
    });

    it('answers the auditor with a purpose, unmasked, and records the read naming the held student', async () => {
      // A Chinese purpose travels as its UTF-8 bytes, as clients send it.
      const payment = await ledger.as('auditor').get('/disbursements/hold-1').set('X-Purpose', Buffer.from('档案审计 archive audit').toString('latin1')).expect(200);
      expect(payment.body.student).toEqual({ residentId: id, name });
      const history = await ledger.as('auditor').get(`/beneficiaries/${studentKey}/history`).set('X-Purpose', 'archive audit').expect(200);
      expect(history.body.events[0].data.payee.account).toBe(card);
      expect(history.body.legalHold).toMatchObject({ legalBasis: 'STATUTORY_RETENTION', reference: 'ARCH-2026-0007' });
      const reads = (await accessRecord()).filter((row) => (row.studentsOnHold as string[]).includes(studentKey));
      expect(reads.map(({ route, purpose: why, actor }) => ({ route, purpose: why, actor: (actor as { id: string }).id }))).toEqual([
        { route: 'GET /disbursements/:disbursementId', purpose: '档案审计 archive audit', actor: 'auditor' },
        { route: 'GET /beneficiaries/:studentKey/history', purpose: 'archive audit', actor: 'auditor' },
      ]);
    });

    it('leaves every amount, count and total as it was, to the fen: the hold, the refused writes and the reads change none', async () => {
      expect(await totals()).toEqual(totalsBefore);
    });
  });

  it('knows who is held from a read model rebuilt from the log with the same rows as the live one', async () => {
    const store = ledger.app.get<EventStore>(EVENT_STORE);
    const live = ledger.app.get<ReadModels>(READ_MODELS);
    await live.waitFor(await store.headPosition());
    const dir = mkdtempSync(join(tmpdir(), 'legal-holds-rebuild-'));
    try {
      const rebuilt = await rebuildReadModels(store, join(dir, 'rebuilt.sqlite'), [legalHoldsProjection]);
      const [table] = legalHoldsProjection.tables;
      const liveRows = dumpTables(live.db, [table])[table];
      expect(liveRows).toEqual([expect.objectContaining({ beneficiary_key: studentKey, legal_basis: 'STATUTORY_RETENTION', reference: 'ARCH-2026-0007' })]);
      expect(dumpTables(rebuilt.db, [table])[table]).toEqual(liveRows);
      await rebuilt.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('after the hold is lifted', () => {
    beforeAll(async () => {
      const lifted = await lift(studentKey).expect(201);
      expect(lifted.body.events.map((event: { type: string }) => event.type)).toEqual(['StudentLegalHoldLifted']);
    });

    it('takes the officer’s writes again and shows them the student’s data', async () => {
      await ledger.http.post('/disbursements').send(boardingPayment(401, { disbursementId: 'hold-2', student: { studentNumber }, period: '2022-spring', valueDate: '2022-04-20' })).expect(201);
      const officer = await ledger.as('finance_officer').get('/disbursements/hold-1').expect(200);
      expect(officer.body.student).toEqual({ residentId: id, name });
      expect(officer.body.legalHold).toBeUndefined();
      await ledger.as('auditor').get('/disbursements/hold-1').expect(200);
    });
  });

  describe('from the command line', () => {
    it('puts a student on hold and lifts it (`legal-hold --as <admin>`), beside the running service, printing the record’s key only', async () => {
      const other = residentId(402);
      const refused = await runCli(ledger.dataDir, 'legal-hold', other, '--legal-basis', 'STATUTORY_RETENTION', '--reference', 'CLI-1');
      expect({ code: refused.code, stderr: refused.stderr }).toEqual({ code: 1, stderr: expect.stringMatching(/--as <userId>/) });
      const placed = await runCli(ledger.dataDir, 'legal-hold', other, '--as', 'admin', '--legal-basis', 'STATUTORY_RETENTION', '--reference', 'CLI-1');
      expect(placed).toMatchObject({ code: 0, stdout: expect.stringMatching(/^placed record s[0-9a-z]{26} on legal hold/) });
      expect(placed.stdout).not.toContain(other);
      const before = await ledger.logPosition();
      const payment = await ledger.http.post('/disbursements').send(boardingPayment(402, { disbursementId: 'free-3', student: { residentId: other }, period: '2023-spring', valueDate: '2023-04-20' }));
      expect({ status: payment.status, code: payment.body.code }).toEqual({ status: 409, code: 'STUDENT_ON_LEGAL_HOLD' });
      expect(await ledger.logPosition()).toBe(before);
      const again = await runCli(ledger.dataDir, 'legal-hold', other, '--as', 'admin', '--legal-basis', 'STATUTORY_RETENTION', '--reference', 'CLI-1');
      expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 1, stderr: expect.stringContaining('already on legal hold') });
      const lifted = await runCli(ledger.dataDir, 'legal-hold', other, '--as', 'admin', '--lift', '--reference', 'CLI-1', '--reason', 'released');
      expect(lifted).toMatchObject({ code: 0, stdout: expect.stringMatching(/^lifted the legal hold of record s[0-9a-z]{26}/) });
      await ledger.http.post('/disbursements').send(boardingPayment(402, { disbursementId: 'free-3', student: { residentId: other }, period: '2023-spring', valueDate: '2023-04-20' })).expect(201);
    });

    it('erases a held student (the erasure ends the hold): the record reads `erased`, no hold shown, and no hold can be placed again', async () => {
      const other = residentId(402);
      await hold(other).expect(201);
      // Not because a retention period ended: a hold keeps the data past its rules.
      const forRetention = await ledger.as('admin').post(`/students/${other}/erasure`).send({ legalBasis: 'RETENTION_ENDED', reference: 'PIPL-2026-0099' });
      expect({ status: forRetention.status, code: forRetention.body.code, field: forRetention.body.errors?.[0]?.field }).toEqual({ status: 409, code: 'STUDENT_ON_LEGAL_HOLD', field: 'legalBasis' });
      const erased = await ledger.as('admin').post(`/students/${other}/erasure`).send({ legalBasis: 'PURPOSE_ACHIEVED', reference: 'PIPL-2026-0099' }).expect(201);
      expect(erased.body.events.map((event: { type: string }) => event.type)).toEqual(['StudentDataErased']);
      const key = (await ledger.as('finance_officer').get('/disbursements/free-1').expect(200)).body.beneficiaryKey;
      const history = await ledger.as('finance_officer').get(`/beneficiaries/${key}/history`).expect(200);
      expect(history.body.legalHold).toBeUndefined();
      expect(history.body.events[0].data.beneficiary.name).toBe('erased');
      // No purpose asked of the auditor: nothing of a held student's is disclosed any more.
      await ledger.as('auditor').get(`/beneficiaries/${key}/history`).expect(200);
      const again = await hold(key);
      expect({ status: again.status, code: again.body.code }).toEqual({ status: 409, code: 'STUDENT_RECORD_ERASED' });
    });

    it('lists the auditor’s reads of a held student with the record’s key in `personal-data-access`', async () => {
      const listed = await runCli(ledger.dataDir, 'personal-data-access', '--actor', 'auditor');
      expect(listed.code).toBe(0);
      const held = listed.stdout.split('\n').filter((line) => line.includes(`on legal hold: ${studentKey}`));
      expect(held.map((line) => line.split('\t')[2])).toEqual(['GET /disbursements/:disbursementId', 'GET /beneficiaries/:studentKey/history']);
      expect(listed.stdout).not.toContain(id);
    });
  });
});

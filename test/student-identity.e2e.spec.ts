import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore } from '@ledger/event-store';
import { EVENT_STORE, PERSONAL_DATA_VAULT, PersonalDataVault, hashRequest } from '@ledger/application';
import { LedgerUnderTest } from './support/ledger-app';
import { HEADERS, writeCsv } from './support/payment-lists';
import { recordOf, studentKeyOfStream, valuesInClear } from './support/student-records';
import { boardingPayment, residentId, schoolCode, studentNumberJ } from './support/students';

/**
 * One student, one record, whatever identifier names them: a `J` (or `L`) student number carries no
 * resident ID, so only a request naming both tells the ledger they are one child. From then on
 * either leads to the same record; a request naming two identifiers of two records is refused.
 * A record is filed under an opaque student key (`beneficiary-<key>`); the identity index, outside the
 * log, links identifiers to it, so no stream name and no stored event holds an identifier in clear.
 */
describe('one record per student, by any identifier', () => {
  let ledger: LedgerUnderTest;
  let store: EventStore;
  const dir = mkdtempSync(join(tmpdir(), 'ledger-identity-'));
  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
    store = ledger.app.get<EventStore>(EVENT_STORE);
  });
  afterAll(async () => {
    await ledger.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const pay = (body: Record<string, unknown>) => ledger.http.post('/disbursements').send(body);
  /** The types of the events of the record filed under an opaque key. */
  const typesOf = async (key: string) => (await store.readStream(`beneficiary-${key}`)).map((event) => event.type);
  /** The streams named after identifiers (the old design's records and links): each must stay empty. */
  const identifierStreams = async (...identifiers: string[]) =>
    Object.fromEntries(await Promise.all(identifiers.map(async (identifier) => [identifier, (await store.readStream(`beneficiary-${identifier}`)).length])));
  /** The key every identifier leads to (through the history route): one key for one student. */
  const keysOf = async (...identifiers: string[]) => new Set(await Promise.all(identifiers.map(async (identifier) => (await recordOf(ledger, identifier)).key)));

  it('refuses to pay again a student first paid by J number alone, then named by resident ID and J number (the issue’s example)', async () => {
    const first = await pay(boardingPayment(0, { disbursementId: 'j-alone', student: { studentNumber: 'J654002201001010090' } })).expect(201);
    const key = studentKeyOfStream(first.body.streamId);
    expect(await recordOf(ledger, 'J654002201001010090')).toEqual({ key, types: ['DisbursementRecorded'] });
    const before = await ledger.logPosition();
    const again = await pay(boardingPayment(0, { disbursementId: 'id-and-j', student: { residentId: '654002201001010103', studentNumber: 'J654002201001010090' } }));
    expect({ status: again.status, code: again.body.code }).toEqual({ status: 409, code: 'DUPLICATE_PAYMENT' });
    expect(await ledger.logPosition()).toBe(before);
    expect(await typesOf(key)).toEqual(['DisbursementRecorded']);
    expect(await identifierStreams('654002201001010103', 'J654002201001010090')).toEqual({ '654002201001010103': 0, J654002201001010090: 0 });
    expect(await valuesInClear(store, ['654002201001010103', '654002201001010090'])).toEqual([]);
  });

  it('links nothing when the request naming both identifiers is refused: the resident ID still leads to no record', async () => {
    const id = residentId(8);
    const j = studentNumberJ(8);
    await pay(boardingPayment(8, { disbursementId: 'j-first', student: { studentNumber: j } })).expect(201);
    const refused = await pay(boardingPayment(8, { disbursementId: 'refused-both', student: { residentId: id, studentNumber: j } }));
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 409, code: 'DUPLICATE_PAYMENT' });
    // A refused request changes nothing: had it linked the ID (mistyped, say), the ID's own child would be refused as this one's duplicate.
    await ledger.http.get(`/beneficiaries/${id}/history`).expect(404);
    await pay(boardingPayment(8, { disbursementId: 'by-id', student: { residentId: id } })).expect(201);
  });

  it('files nothing in the identity index for a new student whose first payment is refused', async () => {
    const id = residentId(10);
    const j = studentNumberJ(10);
    const refused = await pay(boardingPayment(10, { disbursementId: 'off-standard', amount: '499.00', student: { residentId: id, studentNumber: j } }));
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 422, code: 'AMOUNT_OFF_STANDARD' });
    // Nothing recorded, so nothing kept of the child: no key, no identifier (which would stay, unerasable by any event, until an erasure named a key nobody was told).
    const index = ledger.app.get<PersonalDataVault>(PERSONAL_DATA_VAULT).index;
    expect([index.lookup([{ kind: 'residentId', value: id }]), index.lookup([{ kind: 'studentNumber', value: j }])]).toEqual([undefined, undefined]);
  });

  it('keeps nothing in the log that confirms a guessed resident ID: the stored request hash is not a plain hash of the request', async () => {
    // An 18-digit ID is some 10¹⁰ guesses (fewer knowing the school's region and the pupil's age): a
    // plain hash of a request whose other fields are all in the event in clear would give it away.
    const body = boardingPayment(9, { disbursementId: 'hashed' });
    const paid = await pay(body).expect(201);
    const [stored] = await store.readStream(paid.body.streamId);
    const plain = hashRequest('POST', '/disbursements', { params: {}, body });
    expect(stored.metadata.requestHash).not.toBe(plain);
    // It is that hash keyed with the key store's secret, which the log does not hold.
    expect(stored.metadata.requestHash).toBe(ledger.app.get<PersonalDataVault>(PERSONAL_DATA_VAULT).keys.keyedRequestHash(plain));
  });

  it('links the identifiers with the first payment that names both, and every identifier then leads to that record', async () => {
    const id = residentId(1);
    const j = studentNumberJ(1);
    const spring = await pay(boardingPayment(1, { disbursementId: 'spring', student: { studentNumber: j }, period: '2022-spring', valueDate: '2022-04-20' })).expect(201);
    const key = studentKeyOfStream(spring.body.streamId);
    const both = await pay(boardingPayment(1, { disbursementId: 'autumn', student: { residentId: id, studentNumber: j } })).expect(201);
    expect(both.body.streamId).toBe(spring.body.streamId);
    // The link is in the identity index, outside the log: the record holds the two payments and nothing else, no stream is named after an identifier.
    expect(await typesOf(key)).toEqual(['DisbursementRecorded', 'DisbursementRecorded']);
    expect(await identifierStreams(id, j)).toEqual({ [id]: 0, [j]: 0 });
    // The payment that named both holds them sealed, recorded by the officer; opened, they are the two identifiers.
    const linking = (await store.readStream(`beneficiary-${key}`))[1];
    expect(linking.metadata.actor).toEqual({ id: 'officer', role: 'finance_officer' });
    expect(linking.data).toMatchObject({ beneficiary: { key, residentId: expect.stringMatching(/^sealed:v1:/), studentNumber: expect.stringMatching(/^sealed:v1:/) } });
    expect((await ledger.http.get(`/disbursements/autumn`).expect(200)).body).toMatchObject({ beneficiaryKey: key, student: { residentId: id, studentNumber: j } });
    expect(await valuesInClear(store, [id, j.slice(1)])).toEqual([]);

    const before = await ledger.logPosition();
    for (const student of [{ residentId: id }, { studentNumber: j }, { residentId: id, studentNumber: j }]) {
      const again = await pay(boardingPayment(1, { disbursementId: `again-${Object.keys(student).join('-')}`, student }));
      expect({ student, status: again.status, code: again.body.code }).toEqual({ student, status: 409, code: 'DUPLICATE_PAYMENT' });
    }
    expect(await ledger.logPosition()).toBe(before);

    for (const identifier of [id, j, `G${id}`, key]) {
      expect({ identifier, ...(await recordOf(ledger, identifier)) }).toEqual({ identifier, key, types: ['DisbursementRecorded', 'DisbursementRecorded'] });
    }
  });

  it('files a new student named by resident ID and J number under the resident ID, and finds them by the J number alone', async () => {
    const id = residentId(2);
    const j = studentNumberJ(2);
    const first = await pay(boardingPayment(2, { disbursementId: 'both-first', student: { residentId: id, studentNumber: j } })).expect(201);
    const key = studentKeyOfStream(first.body.streamId);
    expect(await recordOf(ledger, j)).toEqual({ key, types: ['DisbursementRecorded'] });
    expect(await recordOf(ledger, id)).toEqual({ key, types: ['DisbursementRecorded'] });
    const again = await pay(boardingPayment(2, { disbursementId: 'j-later', student: { studentNumber: j } }));
    expect({ status: again.status, code: again.body.code }).toEqual({ status: 409, code: 'DUPLICATE_PAYMENT' });
    // A reversal and a new payment by the J number alone land on the resident ID's record.
    await ledger.http.post('/disbursements/both-first/reversal').send({ reason: 'wrong card', valueDate: '2022-11-01', student: { studentNumber: j } }).expect(201);
    const afterReversal = await pay(boardingPayment(2, { disbursementId: 'j-after-reversal', student: { studentNumber: j } })).expect(201);
    expect(afterReversal.body.streamId).toBe(first.body.streamId);
    expect(await typesOf(key)).toEqual(['DisbursementRecorded', 'DisbursementReversed', 'DisbursementRecorded']);
    expect(await identifierStreams(id, j)).toEqual({ [id]: 0, [j]: 0 });
    expect(await valuesInClear(store, [id, j.slice(1)])).toEqual([]);
  });

  it('answers a request that linked identifiers, retried concurrently with its Idempotency-Key, as the first time: one record, one payment', async () => {
    const id = residentId(7);
    const j = studentNumberJ(7);
    const before = BigInt(await ledger.logPosition());
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => ledger.http.post('/disbursements').set('Idempotency-Key', 'link-once').send(boardingPayment(7, { student: { residentId: id, studentNumber: j } }))),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(5).fill(201));
    expect(new Set(responses.map((response) => response.body.disbursementId)).size).toBe(1);
    expect(new Set(responses.map((response) => response.body.streamId)).size).toBe(1);
    const key = studentKeyOfStream(responses[0].body.streamId);
    // One payment and nothing else: the link is in the identity index, not an event.
    expect(BigInt(await ledger.logPosition())).toBe(before + 1n);
    expect(await typesOf(key)).toEqual(['DisbursementRecorded']);
    expect(await keysOf(id, j)).toEqual(new Set([key]));
    expect(await identifierStreams(id, j)).toEqual({ [id]: 0, [j]: 0 });
  });

  it('refuses bureau staff a linked student’s history by either identifier, naming neither', async () => {
    const id = residentId(1);
    const j = studentNumberJ(1);
    for (const key of [id, j, (await recordOf(ledger, id)).key]) {
      const refused = await ledger.as('bureau_staff').get(`/beneficiaries/${key}/history`).expect(403);
      for (const identifier of [id, j, j.slice(1)]) expect(JSON.stringify(refused.body)).not.toContain(identifier);
    }
  });

  it('refuses a request naming two identifiers that lead to two different records, naming both fields (not echoing the identifiers), and appends nothing', async () => {
    const id = residentId(3);
    const j = studentNumberJ(3);
    const byId = await pay(boardingPayment(3, { disbursementId: 'by-id', student: { residentId: id }, period: '2022-spring', valueDate: '2022-04-20' })).expect(201);
    const byJ = await pay(boardingPayment(3, { disbursementId: 'by-j', student: { studentNumber: j } })).expect(201);
    expect(byJ.body.streamId).not.toBe(byId.body.streamId);
    const before = await ledger.logPosition();
    const response = await pay(boardingPayment(3, { disbursementId: 'by-both', student: { residentId: id, studentNumber: j }, period: '2023-spring', valueDate: '2023-04-20' }));
    expect({ status: response.status, code: response.body.code }).toEqual({ status: 409, code: 'STUDENT_IDENTIFIERS_CONFLICT' });
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.errors.map((error: { field: string }) => error.field).sort()).toEqual(['student.residentId', 'student.studentNumber']);
    expect(response.body.detail).toContain("student.residentId and student.studentNumber lead to two different students' records");
    expect(JSON.stringify(response.body)).not.toContain(id);
    expect(JSON.stringify(response.body)).not.toContain(j.slice(1));
    expect(await ledger.logPosition()).toBe(before);
    // Nothing linked: each identifier still leads to its own record.
    expect(await recordOf(ledger, id)).toEqual({ key: studentKeyOfStream(byId.body.streamId), types: ['DisbursementRecorded'] });
    expect(await recordOf(ledger, j)).toEqual({ key: studentKeyOfStream(byJ.body.streamId), types: ['DisbursementRecorded'] });
  });

  it('refuses a G student number whose resident ID is not the one given beside it', async () => {
    const before = await ledger.logPosition();
    const response = await pay(boardingPayment(4, { disbursementId: 'g-mismatch', student: { residentId: residentId(4), studentNumber: `G${residentId(5)}` } }));
    expect({ status: response.status, code: response.body.code, field: response.body.errors?.[0]?.field }).toEqual({ status: 400, code: 'STUDENT_IDENTIFIERS_DISAGREE', field: 'student.studentNumber' });
    expect(await ledger.logPosition()).toBe(before);
  });

  it('never makes two records when a J-number-alone payment and a resident-ID-and-J payment race, 30 students at once', async () => {
    const students = Array.from({ length: 30 }, (_, i) => ({ id: residentId(100 + i), j: studentNumberJ(100 + i), school: schoolCode('21', 800 + i) }));
    const responses = await Promise.all(
      students.flatMap(({ id, j, school }, i) => [
        pay(boardingPayment(100 + i, { disbursementId: `race-j-${i}`, schoolCode: school, student: { studentNumber: j } })),
        pay(boardingPayment(100 + i, { disbursementId: `race-both-${i}`, schoolCode: school, student: { residentId: id, studentNumber: j } })),
      ]),
    );
    for (let i = 0; i < students.length; i++) {
      const pair = [responses[2 * i], responses[2 * i + 1]].map((response) => response.status).sort();
      expect({ i, pair }).toEqual({ i, pair: [201, 409] });
      // Both requests were placed on one record (the race's loser refused there as a duplicate). The J
      // number leads to it; the resident ID too when the request naming both won — a refused request
      // links nothing, so when the J-number-alone payment won, the ID leads nowhere yet.
      const [jAlone, both] = [responses[2 * i], responses[2 * i + 1]];
      const recorded = jAlone.status === 201 ? jAlone : both;
      const key = studentKeyOfStream(recorded.body.streamId);
      expect({ i, j: await recordOf(ledger, students[i].j) }).toEqual({ i, j: { key, types: ['DisbursementRecorded'] } });
      const byId = await ledger.http.get(`/beneficiaries/${students[i].id}/history`);
      expect({ i, byId: byId.status === 200 ? byId.body.studentKey : byId.status }).toEqual({ i, byId: both.status === 201 ? key : 404 });
    }
    for (const { school } of students) {
      const totals = await ledger.http.get('/totals').query({ fiscalYear: 2022, schoolCode: school }).expect(200);
      expect(totals.body.totals[0].net).toMatchObject({ personTimes: 1, students: 1 });
    }
  });

  it('repays a loan lent under resident ID and J number when the repayment names the J number alone', async () => {
    const id = residentId(6, 2003);
    const j = studentNumberJ(6, 2003);
    const loan = {
      loanId: 'loan-linked',
      student: { residentId: id, studentNumber: j },
      schoolCode: schoolCode('41', 10694),
      stage: 'undergraduate',
      programCode: 'ORIGIN_CREDIT_LOAN',
      period: '2022-2023',
      amount: '8000.00',
      payee: { type: 'university_fee_account', name: 'Xinjiang University' },
      valueDate: '2022-09-20',
    };
    const lent = await ledger.http.post('/loans').send(loan).expect(201);
    studentKeyOfStream(lent.body.streamId);
    const repaid = await ledger.http.post('/loans/loan-linked/repayments').send({ amount: '1000.00', valueDate: '2025-12-20', student: { studentNumber: j } }).expect(201);
    expect(repaid.body.streamId).toBe(lent.body.streamId);
    const second = await ledger.http.post('/loans').send({ ...loan, loanId: 'loan-linked-2', student: { studentNumber: j }, amount: '4000.01' });
    expect(second.body.code).toBe('LOAN_OVER_YEARLY_CAP');
  });

  describe('importing payment lists', () => {
    const headers = [...HEADERS, '学籍号'];
    const row = (i: number, student: { residentId?: string; studentNumber?: string }, period = '2022年秋季', date = '2022-10-20') => [
      `学生${i}`, student.residentId ?? '', schoolCode('21', 1), '小学', '家庭经济困难寄宿生生活补助', period, '500.00', date, student.studentNumber ?? '',
    ];
    const upload = (path: string, query: Record<string, string> = {}) => ledger.http.post('/imports').query(query).attach('file', path);

    it('refuses a file paying one student twice under two identifiers, rows apart', async () => {
      const path = join(dir, 'twice.csv');
      writeCsv(path, [row(20, { studentNumber: studentNumberJ(20) }), row(21, { residentId: residentId(21) }), row(20, { residentId: residentId(20), studentNumber: studentNumberJ(20) })], headers);
      const before = await ledger.logPosition();
      const response = await upload(path, { commit: 'true' }).expect(422);
      expect(response.body.problems.map((problem: { row: number; code: string }) => [problem.row, problem.code])).toEqual([[4, 'DUPLICATE_PAYMENT']]);
      expect(await ledger.logPosition()).toBe(before);
    });

    it('links nothing on a dry run, nor on a commit refused for a bad row: the resident ID still leads to no record', async () => {
      const id = residentId(32);
      const j = studentNumberJ(32);
      await pay(boardingPayment(32, { disbursementId: 'j-before-lists', student: { studentNumber: j }, period: '2022-spring', valueDate: '2022-04-20' })).expect(201);
      const dryRun = join(dir, 'dry-run.csv');
      writeCsv(dryRun, [row(32, { residentId: id, studentNumber: j })], headers);
      expect((await upload(dryRun).expect(200)).body).toMatchObject({ dryRun: true, committed: false });
      await ledger.http.get(`/beneficiaries/${id}/history`).expect(404);
      const refused = join(dir, 'refused.csv');
      const bad = row(33, { residentId: residentId(33) });
      bad[6] = 'five hundred';
      writeCsv(refused, [row(32, { residentId: id, studentNumber: j }), bad], headers);
      await upload(refused, { commit: 'true' }).expect(422);
      await ledger.http.get(`/beneficiaries/${id}/history`).expect(404);
    });

    it('files rows naming one student by different identifiers under one record, linked in the identity index, and onto the ledger’s record', async () => {
      const id = residentId(30);
      const j = studentNumberJ(30);
      const before = await pay(boardingPayment(30, { disbursementId: 'before-import', student: { studentNumber: j }, period: '2022-spring', valueDate: '2022-04-20' })).expect(201);
      const key = studentKeyOfStream(before.body.streamId);
      const path = join(dir, 'linked.csv');
      writeCsv(path, [row(30, { residentId: id, studentNumber: j }), row(30, { residentId: id }, '2023年春季', '2023-04-20')], headers);
      const committed = await upload(path, { commit: 'true' }).expect(201);
      expect(committed.body.committedEvents).toBe(3); // two payments, the batch (the link is in the identity index)
      for (const identifier of [id, j]) {
        expect({ identifier, ...(await recordOf(ledger, identifier)) }).toEqual({ identifier, key, types: ['DisbursementRecorded', 'DisbursementRecorded', 'DisbursementRecorded'] });
      }
      expect(await identifierStreams(id, j)).toEqual({ [id]: 0, [j]: 0 });
      expect(await valuesInClear(store, [id, j.slice(1)])).toEqual([]);
      const conflicting = join(dir, 'conflicting.csv');
      writeCsv(conflicting, [row(31, { residentId: residentId(31) }), row(31, { studentNumber: studentNumberJ(31) }, '2023年春季', '2023-04-20'), row(31, { residentId: residentId(31), studentNumber: studentNumberJ(31) }, '2022年春季', '2022-04-20')], headers);
      const refused = await upload(conflicting, { commit: 'true' }).expect(422);
      expect(refused.body.problems.map((problem: { row: number; code: string }) => [problem.row, problem.code])).toEqual([[4, 'STUDENT_IDENTIFIERS_CONFLICT']]);
    });
  });
});

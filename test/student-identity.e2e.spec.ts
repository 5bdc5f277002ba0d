import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore } from '@ledger/event-store';
import { EVENT_STORE } from '@ledger/application';
import { LedgerUnderTest } from './support/ledger-app';
import { HEADERS, writeCsv } from './support/payment-lists';
import { boardingPayment, residentId, schoolCode, studentNumberJ } from './support/students';

/**
 * One student, one record, whatever identifier names them: a `J` (or `L`) student number carries no
 * resident ID, so only a request naming both tells the ledger they are one child. From then on
 * either leads to the same record; a request naming two identifiers of two records is refused.
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
  const streamsOf = async (...keys: string[]) =>
    Object.fromEntries(await Promise.all(keys.map(async (key) => [key, (await store.readStream(`beneficiary-${key}`)).map((event) => event.type)])));

  it('refuses to pay again a student first paid by J number alone, then named by resident ID and J number (the issue’s example)', async () => {
    const first = await pay(boardingPayment(0, { disbursementId: 'j-alone', student: { studentNumber: 'J654002201001010090' } })).expect(201);
    expect(first.body.streamId).toBe('beneficiary-J654002201001010090');
    const before = await ledger.logPosition();
    const again = await pay(boardingPayment(0, { disbursementId: 'id-and-j', student: { residentId: '654002201001010103', studentNumber: 'J654002201001010090' } }));
    expect({ status: again.status, code: again.body.code }).toEqual({ status: 409, code: 'DUPLICATE_PAYMENT' });
    expect(await ledger.logPosition()).toBe(before);
    expect(await streamsOf('654002201001010103')).toEqual({ '654002201001010103': [] });
  });

  it('links the identifiers with the first payment that names both, and every identifier then leads to that record', async () => {
    const id = residentId(1);
    const j = studentNumberJ(1);
    await pay(boardingPayment(1, { disbursementId: 'spring', student: { studentNumber: j }, period: '2022-spring', valueDate: '2022-04-20' })).expect(201);
    const both = await pay(boardingPayment(1, { disbursementId: 'autumn', student: { residentId: id, studentNumber: j } })).expect(201);
    expect(both.body.streamId).toBe(`beneficiary-${j}`);
    // The link is an event, in the resident ID's own stream, pointing to the record.
    expect(await streamsOf(j, id)).toEqual({ [j]: ['DisbursementRecorded', 'DisbursementRecorded'], [id]: ['StudentIdentifierLinked'] });
    const link = (await store.readStream(`beneficiary-${id}`))[0];
    expect(link.data).toEqual({ identifier: { residentId: id }, beneficiary: { key: j, residentId: id, studentNumber: j } });
    expect(link.metadata.actor).toEqual({ id: 'officer', role: 'finance_officer' });

    const before = await ledger.logPosition();
    for (const student of [{ residentId: id }, { studentNumber: j }, { residentId: id, studentNumber: j }]) {
      const again = await pay(boardingPayment(1, { disbursementId: `again-${Object.keys(student).join('-')}`, student }));
      expect({ student, status: again.status, code: again.body.code }).toEqual({ student, status: 409, code: 'DUPLICATE_PAYMENT' });
    }
    expect(await ledger.logPosition()).toBe(before);

    for (const identifier of [id, j, `G${id}`]) {
      const history = await ledger.http.get(`/beneficiaries/${identifier}/history`).expect(200);
      expect({ identifier, key: history.body.studentKey, types: history.body.events.map((event: { type: string }) => event.type) }).toEqual({
        identifier,
        key: j,
        types: ['DisbursementRecorded', 'StudentIdentifierLinked', 'DisbursementRecorded'],
      });
    }
  });

  it('files a new student named by resident ID and J number under the resident ID, and finds them by the J number alone', async () => {
    const id = residentId(2);
    const j = studentNumberJ(2);
    const first = await pay(boardingPayment(2, { disbursementId: 'both-first', student: { residentId: id, studentNumber: j } })).expect(201);
    expect(first.body.streamId).toBe(`beneficiary-${id}`);
    expect(await streamsOf(id, j)).toEqual({ [id]: ['DisbursementRecorded'], [j]: ['StudentIdentifierLinked'] });
    const again = await pay(boardingPayment(2, { disbursementId: 'j-later', student: { studentNumber: j } }));
    expect({ status: again.status, code: again.body.code }).toEqual({ status: 409, code: 'DUPLICATE_PAYMENT' });
    // A reversal and a new payment by the J number alone land on the resident ID's record.
    await ledger.http.post('/disbursements/both-first/reversal').send({ reason: 'wrong card', valueDate: '2022-11-01', student: { studentNumber: j } }).expect(201);
    await pay(boardingPayment(2, { disbursementId: 'j-after-reversal', student: { studentNumber: j } })).expect(201);
    expect(await streamsOf(id, j)).toEqual({ [id]: ['DisbursementRecorded', 'DisbursementReversed', 'DisbursementRecorded'], [j]: ['StudentIdentifierLinked'] });
  });

  it('answers a request that linked identifiers, retried concurrently with its Idempotency-Key, as the first time: one link, one payment', async () => {
    const id = residentId(7);
    const j = studentNumberJ(7);
    const before = BigInt(await ledger.logPosition());
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => ledger.http.post('/disbursements').set('Idempotency-Key', 'link-once').send(boardingPayment(7, { student: { residentId: id, studentNumber: j } }))),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(5).fill(201));
    expect(new Set(responses.map((response) => response.body.disbursementId)).size).toBe(1);
    expect(BigInt(await ledger.logPosition())).toBe(before + 2n);
    expect(await streamsOf(id, j)).toEqual({ [id]: ['DisbursementRecorded'], [j]: ['StudentIdentifierLinked'] });
  });

  it('refuses bureau staff a linked student’s history by either identifier, naming neither', async () => {
    const id = residentId(1);
    const j = studentNumberJ(1);
    for (const key of [id, j]) {
      const refused = await ledger.as('bureau_staff').get(`/beneficiaries/${key}/history`).expect(403);
      for (const identifier of [id, j, j.slice(1)]) expect(JSON.stringify(refused.body)).not.toContain(identifier);
    }
  });

  it('refuses a request naming two identifiers that lead to two different records, naming both, and appends nothing', async () => {
    const id = residentId(3);
    const j = studentNumberJ(3);
    await pay(boardingPayment(3, { disbursementId: 'by-id', student: { residentId: id }, period: '2022-spring', valueDate: '2022-04-20' })).expect(201);
    await pay(boardingPayment(3, { disbursementId: 'by-j', student: { studentNumber: j } })).expect(201);
    const before = await ledger.logPosition();
    const response = await pay(boardingPayment(3, { disbursementId: 'by-both', student: { residentId: id, studentNumber: j }, period: '2023-spring', valueDate: '2023-04-20' }));
    expect({ status: response.status, code: response.body.code }).toEqual({ status: 409, code: 'STUDENT_IDENTIFIERS_CONFLICT' });
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.errors.map((error: { field: string }) => error.field).sort()).toEqual(['student.residentId', 'student.studentNumber']);
    expect(response.body.detail).toContain(id);
    expect(response.body.detail).toContain(j);
    expect(await ledger.logPosition()).toBe(before);
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
      const streams = await streamsOf(students[i].id, students[i].j);
      const payments = Object.values(streams).flat().filter((type) => type === 'DisbursementRecorded');
      expect({ i, payments: payments.length }).toEqual({ i, payments: 1 });
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
    await ledger.http.post('/loans').send(loan).expect(201);
    const repaid = await ledger.http.post('/loans/loan-linked/repayments').send({ amount: '1000.00', valueDate: '2025-12-20', student: { studentNumber: j } }).expect(201);
    expect(repaid.body.streamId).toBe(`beneficiary-${id}`);
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

    it('files rows naming one student by different identifiers under one record, linked by an event, and onto the ledger’s record', async () => {
      const id = residentId(30);
      const j = studentNumberJ(30);
      await pay(boardingPayment(30, { disbursementId: 'before-import', student: { studentNumber: j }, period: '2022-spring', valueDate: '2022-04-20' })).expect(201);
      const path = join(dir, 'linked.csv');
      writeCsv(path, [row(30, { residentId: id, studentNumber: j }), row(30, { residentId: id }, '2023年春季', '2023-04-20')], headers);
      const committed = await upload(path, { commit: 'true' }).expect(201);
      expect(committed.body.committedEvents).toBe(4); // two payments, the link, the batch
      expect(await streamsOf(j, id)).toEqual({ [j]: ['DisbursementRecorded', 'DisbursementRecorded', 'DisbursementRecorded'], [id]: ['StudentIdentifierLinked'] });
      const conflicting = join(dir, 'conflicting.csv');
      writeCsv(conflicting, [row(31, { residentId: residentId(31) }), row(31, { studentNumber: studentNumberJ(31) }, '2023年春季', '2023-04-20'), row(31, { residentId: residentId(31), studentNumber: studentNumberJ(31) }, '2022年春季', '2022-04-20')], headers);
      const refused = await upload(conflicting, { commit: 'true' }).expect(422);
      expect(refused.body.problems.map((problem: { row: number; code: string }) => [problem.row, problem.code])).toEqual([[4, 'STUDENT_IDENTIFIERS_CONFLICT']]);
    });
  });
});

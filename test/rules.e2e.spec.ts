import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment, residentId, schoolCode } from './support/students';

/**
 * Every rule of SPEC §4 refused over HTTP with its status and stable code, as
 * application/problem+json with the field at fault — and the log does not move.
 */
describe('rules refused over HTTP, nothing appended', () => {
  let ledger: LedgerUnderTest;
  const boarding = boardingPayment(1, { disbursementId: 'paid-1' });
  const loan = {
    loanId: 'loan-1',
    student: { residentId: residentId(2, 2003) },
    schoolCode: schoolCode('41', 10001),
    stage: 'undergraduate',
    programCode: 'ORIGIN_CREDIT_LOAN',
    period: '2022-2023',
    amount: '8000.00',
    payee: { type: 'university_fee_account', name: 'Xinjiang University' },
    valueDate: '2022-09-20',
  };

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
    await ledger.http.post('/disbursements').send(boarding).expect(201);
    await ledger.http.post('/disbursements').send({ ...boarding, disbursementId: 'reversed-1', student: { residentId: residentId(3) } }).expect(201);
    await ledger.http
      .post('/disbursements/reversed-1/reversal')
      .send({ reason: 'paid to the wrong card', valueDate: '2022-11-01' })
      .expect(201);
    await ledger.http.post('/loans').send(loan).expect(201);
    await ledger.http.post('/disbursements').set('Idempotency-Key', 'key-used-once').send({ ...boarding, disbursementId: 'keyed', period: '2023-spring' }).expect(201);
  });
  afterAll(async () => {
    await ledger.stop();
  });

  type Case = [name: string, path: string, body: unknown, status: number, code: string, field: string];
  const cases: Case[] = [
    ['amount with 3 decimals', '/disbursements', { ...boarding, disbursementId: 'x', amount: '500.001' }, 400, 'AMOUNT_INVALID', 'amount'],
    ['negative amount', '/disbursements', { ...boarding, disbursementId: 'x', amount: '-500.00' }, 400, 'AMOUNT_INVALID', 'amount'],
    ['amount in exponent form', '/disbursements', { ...boarding, disbursementId: 'x', amount: '5e2' }, 400, 'AMOUNT_INVALID', 'amount'],
    ['amount as a JSON number', '/disbursements', { ...boarding, disbursementId: 'x', amount: 500 }, 400, 'REQUEST_INVALID', 'amount'],
    ['zero amount', '/disbursements', { ...boarding, disbursementId: 'x', period: '2023-spring', amount: '0.00' }, 422, 'AMOUNT_NOT_POSITIVE', 'amount'],
    ['amount off the fixed standard', '/disbursements', { ...boarding, disbursementId: 'x', period: '2023-spring', amount: '625.00' }, 422, 'AMOUNT_OFF_STANDARD', 'amount'],
    ['amount over the cap', '/disbursements', { ...boarding, disbursementId: 'x', programCode: 'NUTRITION_IMPROVEMENT', amount: '600.00', payee: { type: 'canteen' } }, 422, 'AMOUNT_OVER_CAP', 'amount'],
    ['unknown program', '/disbursements', { ...boarding, disbursementId: 'x', programCode: 'FREE_BIKES' }, 422, 'PROGRAM_UNKNOWN', 'programCode'],
    ['program not open in the period', '/disbursements', { ...boarding, disbursementId: 'x', programCode: 'NON_BOARDING_LIVING_SUBSIDY', amount: '250.00', period: '2018-autumn' }, 422, 'PROGRAM_NOT_OPEN', 'period'],
    ['period of the wrong basis', '/disbursements', { ...boarding, disbursementId: 'x', period: '2022-2023' }, 422, 'PERIOD_BASIS_MISMATCH', 'period'],
    ['stage does not fit the program', '/disbursements', { ...boarding, disbursementId: 'x', stage: 'senior' }, 422, 'STAGE_NOT_ELIGIBLE', 'stage'],
    ['nutrition paid to the student', '/disbursements', { ...boarding, disbursementId: 'x', programCode: 'NUTRITION_IMPROVEMENT', amount: '400.00' }, 422, 'PAYEE_NOT_ALLOWED', 'payee.type'],
    ['second payment, same program and term', '/disbursements', { ...boarding, disbursementId: 'paid-2' }, 409, 'DUPLICATE_PAYMENT', 'period'],
    ['mutually exclusive program, same term', '/disbursements', { ...boarding, disbursementId: 'x', programCode: 'NON_BOARDING_LIVING_SUBSIDY', amount: '250.00' }, 409, 'MUTUALLY_EXCLUSIVE_PROGRAMS', 'programCode'],
    ['payment id reused with other content', '/disbursements', { ...boarding, period: '2023-spring' }, 409, 'ID_ALREADY_USED', 'disbursementId'],
    ['reversal of an unknown payment', '/disbursements/no-such-payment/reversal', { reason: 'typo', valueDate: '2022-11-01' }, 404, 'DISBURSEMENT_NOT_FOUND', 'disbursementId'],
    ['reversal of a reversed payment', '/disbursements/reversed-1/reversal', { reason: 'again', valueDate: '2022-11-02' }, 409, 'DISBURSEMENT_ALREADY_REVERSED', 'disbursementId'],
    ['reversal without a reason', '/disbursements/paid-1/reversal', { reason: '', valueDate: '2022-11-02' }, 400, 'REQUEST_INVALID', 'reason'],
    ['loan over the yearly cap', '/loans', { ...loan, loanId: 'loan-2', amount: '4000.01' }, 422, 'LOAN_OVER_YEARLY_CAP', 'amount'],
    ['loan paid to the student', '/loans', { ...loan, loanId: 'loan-2', amount: '100.00', payee: { type: 'student' } }, 422, 'PAYEE_NOT_ALLOWED', 'payee.type'],
    ['repayment above what is outstanding', '/loans/loan-1/repayments', { amount: '8000.01', valueDate: '2027-12-20' }, 422, 'REPAYMENT_EXCEEDS_OUTSTANDING', 'amount'],
    ['repayment of an unknown loan', '/loans/no-such-loan/repayments', { amount: '1.00', valueDate: '2027-12-20' }, 404, 'LOAN_NOT_FOUND', 'loanId'],
    ['resident ID with a wrong check character', '/disbursements', { ...boarding, disbursementId: 'x', student: { residentId: '110105194912310021' } }, 400, 'RESIDENT_ID_INVALID', 'student.residentId'],
    ['student number of the wrong form', '/disbursements', { ...boarding, disbursementId: 'x', student: { studentNumber: 'X11010519491231002X' } }, 400, 'STUDENT_NUMBER_INVALID', 'student.studentNumber'],
    ['school code of 9 digits', '/disbursements', { ...boarding, disbursementId: 'x', schoolCode: '216500001' }, 400, 'SCHOOL_CODE_INVALID', 'schoolCode'],
    ['no student identifier', '/disbursements', { ...boarding, disbursementId: 'x', student: { name: '张三' } }, 400, 'STUDENT_IDENTITY_MISSING', 'student'],
    ['an unknown field', '/disbursements', { ...boarding, disbursementId: 'x', bonus: '1.00' }, 400, 'REQUEST_INVALID', 'bonus'],
    ['a date that does not exist', '/disbursements', { ...boarding, disbursementId: 'x', period: '2023-spring', valueDate: '2023-02-30' }, 400, 'DATE_INVALID', 'valueDate'],
    ['a period that is neither term nor school year', '/disbursements', { ...boarding, disbursementId: 'x', period: '2022-winter' }, 400, 'PERIOD_INVALID', 'period'],
    ['budget from a source the program lacks', '/budgets/allocations', { programCode: 'YULU_PLAN', fiscalYear: 2022, fundingSource: 'BANK', amount: '100.00', valueDate: '2022-03-01' }, 422, 'FUNDING_SOURCE_UNKNOWN', 'fundingSource'],
  ];

  it.each(cases.map(([name, path, body, status, code, field]) => [name, path, status, code, field, body] as const))(
    '%s: POST %s → %i %s',
    async (_, path, status, code, field, body) => {
    const before = await ledger.logPosition();
    const response = await ledger.http.post(path).send(body as object);
    expect({ status: response.status, code: response.body.code }).toEqual({ status, code });
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.detail).toEqual(expect.any(String));
    expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, message: expect.any(String) })]));
    expect(await ledger.logPosition()).toBe(before);
    },
  );

  it('refuses an Idempotency-Key reused with another body → 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const before = await ledger.logPosition();
    const response = await ledger.http
      .post('/disbursements')
      .set('Idempotency-Key', 'key-used-once')
      .send({ ...boarding, disbursementId: 'keyed-other', student: { residentId: residentId(9) } });
    expect({ status: response.status, code: response.body.code }).toEqual({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await ledger.logPosition()).toBe(before);
  });

  it('refuses a malformed JSON body with a 400, never a 5xx', async () => {
    const before = await ledger.logPosition();
    const response = await ledger.http.post('/disbursements').set('content-type', 'application/json').send('{"amount": ');
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await ledger.logPosition()).toBe(before);
  });

  it('refuses a body over the size limit with 413, and a body that is not JSON with 400', async () => {
    const before = await ledger.logPosition();
    const huge = await ledger.http.post('/disbursements').send({ ...boarding, disbursementId: 'x', note: 'x'.repeat(2 * 1024 * 1024) });
    expect({ status: huge.status, code: huge.body.code }).toEqual({ status: 413, code: 'BODY_TOO_LARGE' });
    const text = await ledger.http.post('/disbursements').set('content-type', 'text/plain').send('pay everyone');
    expect({ status: text.status, code: text.body.code }).toEqual({ status: 400, code: 'REQUEST_INVALID' });
    expect(await ledger.logPosition()).toBe(before);
  });

  it('answers 404 for an unknown route and an unknown student, as problem+json', async () => {
    expect((await ledger.http.get('/no-such-route')).status).toBe(404);
    const unknown = await ledger.http.get(`/beneficiaries/${residentId(77)}/history`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    const malformed = await ledger.http.get('/beneficiaries/12345/history');
    expect({ status: malformed.status, code: malformed.body.code }).toEqual({ status: 400, code: 'RESIDENT_ID_INVALID' });
  });

  it('refuses bad totals filters field by field', async () => {
    const response = await ledger.http.get('/totals').query({ fiscalYear: 'last', groupBy: 'colour' });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['fiscalYear', 'groupBy']);
  });
});

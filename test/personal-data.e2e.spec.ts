import { EVENT_STORE } from '@ledger/application';
import { EventStore } from '@ledger/event-store';
import { ROUTE_ROLES } from '../apps/ledger-api/src/access/route-permissions';
import { LedgerUnderTest } from './support/ledger-app';
import { studentKeyOfStream, valuesInClear } from './support/student-records';
import { boardingPayment, residentId, schoolCode } from './support/students';

/**
 * bureau_staff never sees personal data: on every read route it may call, the student's ID and
 * student number, name and bank card reach it masked (docs/domain.md#personal-data). Auditors see them whole.
 */
describe('personal data on the read routes', () => {
  let ledger: LedgerUnderTest;
  const id = residentId(7, 2012);
  const studentNumber = `G${id}`;
  const name = '阿依古丽·买买提';
  const card = '6222020200112233445';
  /** The opaque key of the student's record, as the ledger answered the payment. */
  let key: string;

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
    const paid = await ledger.http
      .post('/disbursements')
      .send({
        disbursementId: 'personal-1',
        student: { residentId: id, studentNumber, name },
        schoolCode: schoolCode('31', 5),
        stage: 'junior',
        programCode: 'BOARDING_LIVING_SUBSIDY',
        period: '2022-autumn',
        amount: '625.00',
        payee: { type: 'student', account: card },
        valueDate: '2022-10-20',
      })
      .expect(201);
    key = studentKeyOfStream(paid.body.streamId);
    await ledger.http.post('/disbursements/personal-1/reversal').send({ reason: 'wrong card', valueDate: '2022-11-01' }).expect(201);
  });
  afterAll(async () => {
    await ledger.stop();
  });

  const personal = () => [id, studentNumber, name, card, id.slice(6, 14)];
  const readRoutes = () =>
    Object.entries(ROUTE_ROLES)
      .filter(([key, roles]) => key.startsWith('GET') && roles !== 'public' && roles.includes('bureau_staff'))
      .map(([key]) =>
        key
          .slice(4)
          .replace(':disbursementId', 'personal-1')
          .replace(':studentKey', id)
          .replace(':code', 'BOARDING_LIVING_SUBSIDY')
          .replace(':id', 'yining-2022'),
      );

  it('covers the read routes that carry personal data; a student\'s history is not one of them', () => {
    expect(readRoutes()).toContain('/disbursements/personal-1');
    expect(readRoutes()).not.toContain(`/beneficiaries/${id}/history`);
  });

  it.each(readRoutes())(
    'bureau_staff gets %s with no personal data in it',
    async (path) => {
      const response = await ledger.as('bureau_staff').get(path).expect(200);
      const text = JSON.stringify(response.body);
      for (const value of personal()) expect({ path, leaked: text.includes(value) ? value : null }).toEqual({ path, leaked: null });
    },
  );

  it('shows bureau_staff the masked forms, so records can still be told apart', async () => {
    const payment = await ledger.as('bureau_staff').get('/disbursements/personal-1').expect(200);
    expect(payment.body).toMatchObject({
      beneficiaryKey: `${key.slice(0, 6)}*****************${key.slice(-4)}`,
      amount: '625.00',
      status: 'reversed',
    });
    // The G number holds the ID: the identity index files them as one identifier, the ID.
    expect(payment.body.student).toEqual({ residentId: `${id.slice(0, 6)}********${id.slice(-4)}`, name: '阿*******' });
  });

  it('shows auditors and officers the data their work needs, whole', async () => {
    for (const role of ['auditor', 'finance_officer'] as const) {
      const payment = await ledger.as(role).get('/disbursements/personal-1').expect(200);
      expect(payment.body).toMatchObject({ beneficiaryKey: key });
      expect(payment.body.student).toEqual({ residentId: id, name });
      const history = await ledger.as(role).get(`/beneficiaries/${id}/history`).expect(200);
      expect(history.body.studentKey).toBe(key);
      expect(history.body.events[0].data.beneficiary).toEqual({ key, residentId: id, studentNumber, name });
      expect(history.body.events[0].data.payee.account).toBe(card);
    }
  });

  it('keeps the student\'s identifiers, name and card out of every stream name and stored event', async () => {
    expect(await valuesInClear(ledger.app.get<EventStore>(EVENT_STORE), personal())).toEqual([]);
  });
});

/**
 * What a refusal or a free-text field tells a role that sees masked data: no identifier in full
 * (a 404 quoting the resident ID back, a reversal reason with a card number in it), the same
 * answer whether the record exists or is not the caller's to see, and ids, codes, amounts, dates
 * and positions left whole.
 */
describe('personal data in refusals and free text', () => {
  let ledger: LedgerUnderTest;
  const id = residentId(8, 2012);
  const absent = residentId(9, 2012);
  const name = '阿依古丽·买买提';
  const card = '6217001234567890123';
  const otherId = '654002201001010111';
  const reason = `paid to the card ${card} of 古丽娜尔 (${otherId}) by mistake`;
  const ownNameReason = `${name}的银行卡已注销 (card ${card.slice(0, 16)})`;
  // A client-chosen id that looks like a bank card: an id, so it comes back whole.
  const cardLikeId = '6222020200112233';

  const payment = (disbursementId: string, period: string) => ({
    disbursementId,
    student: { residentId: id, name },
    schoolCode: schoolCode('31', 5),
    stage: 'junior',
    programCode: 'BOARDING_LIVING_SUBSIDY',
    period,
    amount: '625.00',
    payee: { type: 'student', account: card },
    valueDate: '2022-10-20',
  });

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
    await ledger.http.post('/disbursements').send(payment('free-text-1', '2022-autumn')).expect(201);
    await ledger.http.post('/disbursements/free-text-1/reversal').send({ reason, valueDate: '2022-11-01' }).expect(201);
    await ledger.http.post('/disbursements').send(payment(cardLikeId, '2022-spring')).expect(201);
    await ledger.http.post(`/disbursements/${cardLikeId}/reversal`).send({ reason: ownNameReason, valueDate: '2022-11-02' }).expect(201);
    await ledger.as('admin').post(`/tokens/${ledger.tokens.bureau_staff.split('.')[2]}/revocation`).send({ reason: `issued to the wrong desk; see ${otherId}` });
    ledger.tokens.bureau_staff = (await ledger.as('admin').post('/users/bureau/tokens').send({}).expect(201)).body.token;
  });
  afterAll(async () => {
    await ledger.stop();
  });

  const masked = (value: string) => `${value.slice(0, 6)}${'*'.repeat(value.length - 10)}${value.slice(-4)}`;

  it.each([
    ['a resident ID', () => `/beneficiaries/${absent}/history`, () => absent, 403],
    ['a G student number', () => `/beneficiaries/G${absent}/history`, () => absent, 403],
    ['a lower-case g student number', () => `/beneficiaries/g${absent}/history`, () => absent, 403],
    ['a payment id holding a resident ID', () => `/disbursements/pay-${absent}`, () => absent, 404],
  ])('a refusal of %s names it to bureau staff masked only', async (_what, path, value, status) => {
    const bureau = await ledger.as('bureau_staff').get(path());
    expect(bureau.status).toBe(status);
    expect(JSON.stringify(bureau.body)).not.toContain(value());
    expect(bureau.body.instance).toContain(masked(value()));
    const auditor = await ledger.as('auditor').get(path());
    expect(auditor.body.detail).toContain(value()); // roles with personal data see what they asked for
  });

  it('answers an absent student and one the role may not look up alike', async () => {
    const shape = (response: { status: number; body: Record<string, unknown> }) => ({
      status: response.status,
      ...response.body,
      detail: String(response.body.detail).replace(masked(id), '<student>').replace(masked(absent), '<student>'),
      instance: String(response.body.instance).replace(masked(id), '<student>').replace(masked(absent), '<student>'),
    });
    for (const [role, method, route] of [
      ['bureau_staff', 'get', (key: string) => `/beneficiaries/${key}/history`],
      ['admin', 'get', (key: string) => `/beneficiaries/${key}/history`],
      ['bureau_staff', 'post', (key: string) => `/disbursements/pay-${key}/reversal`],
      ['bureau_staff', 'post', (key: string) => `/loans/loan-${key}/repayments`],
      ['admin', 'get', (key: string) => `/disbursements/pay-${key}`],
    ] as const) {
      const ask = (key: string) => (method === 'get' ? ledger.as(role).get(route(key)) : ledger.as(role).post(route(key)).send({ amount: '1.00', reason: 'x', valueDate: '2022-12-01' }));
      const [existing, missing] = [await ask(id), await ask(absent)];
      expect({ role, route: route('…'), existing: shape(existing) }).toEqual({ role, route: route('…'), existing: shape(missing) });
      expect(JSON.stringify(missing.body)).not.toContain(absent);
    }
  });

  it('redacts identifiers and cards in free text for bureau staff, and the names beside them', async () => {
    const payment = await ledger.as('bureau_staff').get('/disbursements/free-text-1').expect(200);
    expect(payment.body.reversal.reason).toBe(`paid to the card 621700*********0123 of 古*** (654002********0111) by mistake`);
    const ownName = await ledger.as('bureau_staff').get(`/disbursements/${cardLikeId}`).expect(200);
    expect(ownName.body.reversal.reason).toBe(`阿*******的银行卡已注销 (card 621700******7890)`);
    const text = JSON.stringify([payment.body, ownName.body]);
    for (const value of [card, otherId, '古丽娜尔', name, card.slice(0, 16)]) expect({ leaked: text.includes(value) ? value : null }).toEqual({ leaked: null });
  });

  it('shows auditors and officers the free text as written', async () => {
    for (const role of ['auditor', 'finance_officer'] as const) {
      expect((await ledger.as(role).get('/disbursements/free-text-1').expect(200)).body.reversal.reason).toBe(reason);
    }
  });

  it('redacts free text for admins too (who see masked data), and leaves token ids whole', async () => {
    const users = await ledger.as('admin').get('/users').expect(200);
    const bureau = users.body.users.find((user: { userId: string }) => user.userId === 'bureau');
    const revoked = bureau.changes.find((change: { type: string }) => change.type === 'TokenRevoked');
    expect(revoked.reason).toBe(`issued to the wrong desk; see ${masked(otherId)}`);
    expect(bureau.tokens.map((token: { tokenId: string }) => token.tokenId)).toContain(ledger.tokens.bureau_staff.split('.')[2]);
  });

  it('leaves ids, codes, amounts, dates and positions whole: only personal data and free text differ from what auditors see', async () => {
    const PERSONAL_OR_FREE_TEXT = new Set(['key', 'residentId', 'studentNumber', 'beneficiaryKey', 'studentKey', 'name', 'account', 'streamId', 'reason']);
    const leaves = (value: unknown, path: string[] = [], out = new Map<string, unknown>()) => {
      if (value !== null && typeof value === 'object') for (const [key, inner] of Object.entries(value)) leaves(inner, [...path, key], out);
      else out.set(path.join('.'), value);
      return out;
    };
    for (const path of ['/disbursements/free-text-1', `/disbursements/${cardLikeId}`, '/totals?fiscalYear=2022&groupBy=school', '/reports/yining-2022/reconciliation', '/programs']) {
      const [bureau, auditor] = [leaves((await ledger.as('bureau_staff').get(path).expect(200)).body), leaves((await ledger.as('auditor').get(path).expect(200)).body)];
      const differing = [...auditor.keys()].filter((leaf) => bureau.get(leaf) !== auditor.get(leaf));
      expect({ path, changed: differing.filter((leaf) => !PERSONAL_OR_FREE_TEXT.has(leaf.split('.').pop()!)) }).toEqual({ path, changed: [] });
    }
    expect((await ledger.as('bureau_staff').get(`/disbursements/${cardLikeId}`).expect(200)).body.disbursementId).toBe(cardLikeId);
  });
});

/**
 * Free text about a student, as officers write it, reaching a role that sees masked data: the
 * answer knows the student's names (as the record holds them) for the masking, whether or not it
 * shows them, and masks phone numbers; ordinary words next to an identifier stay as written.
 */
describe('free text about a student, to roles that see masked data', () => {
  let ledger: LedgerUnderTest;
  const id = residentId(21, 2012);
  const name = '阿依古丽·买买提';
  const hanName = '王小明';
  const hanId = residentId(22, 2012);
  const phone = '13912345678';
  const otherId = '654002201001010111';
  /** The opaque key of the record of the student `id`: the history route takes it as it takes an identifier. */
  let namedKey: string;

  const payment = (disbursementId: string, student: Record<string, string>) => ({
    disbursementId,
    student,
    schoolCode: schoolCode('31', 5),
    stage: 'junior',
    programCode: 'BOARDING_LIVING_SUBSIDY',
    period: '2022-autumn',
    amount: '625.00',
    payee: { type: 'student' },
    valueDate: '2022-10-20',
  });

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
    // The name is recorded with the payment; the reversal names the student only by its record.
    namedKey = studentKeyOfStream((await ledger.http.post('/disbursements').send(payment('named-1', { residentId: id, name })).expect(201)).body.streamId);
    await ledger.http.post('/disbursements/named-1/reversal').send({ reason: `阿依古丽本人的银行卡号错误，家长电话${phone}，重复${otherId}`, valueDate: '2022-11-01' }).expect(201);
    await ledger.http.post('/disbursements').send(payment('named-2', { residentId: hanId, name: hanName })).expect(201);
    await ledger.http.post('/disbursements/named-2/reversal').send({ reason: `${hanName}的银行卡已注销`, valueDate: '2022-11-01' }).expect(201);
    const spare = (await ledger.as('admin').post('/users/auditor/tokens').send({ label: 'spare' }).expect(201)).body.tokenId;
    await ledger.as('admin').post(`/tokens/${spare}/revocation`).send({ reason: `古丽娜尔·艾力 (${phone}) 说这台电脑丢了` }).expect(200);
  });
  afterAll(async () => {
    await ledger.stop();
  });

  it("masks the student's names, known from the record, in a payment's reversal reason for bureau staff", async () => {
    const first = await ledger.as('bureau_staff').get('/disbursements/named-1').expect(200);
    expect(first.body.reversal.reason).toBe('阿***本人的银行卡号错误，家长电话139****5678，重复654002********0111');
    const second = await ledger.as('bureau_staff').get('/disbursements/named-2').expect(200);
    expect(second.body.reversal.reason).toBe('王**的银行卡已注销');
    // The names are known to the masking, not part of the answer.
    expect(Object.keys(second.body).sort()).toEqual(Object.keys((await ledger.as('auditor').get('/disbursements/named-2').expect(200)).body).sort());
  });

  it('shows officers and auditors the reason as written', async () => {
    for (const role of ['finance_officer', 'auditor'] as const) {
      expect((await ledger.as(role).get('/disbursements/named-2').expect(200)).body.reversal.reason).toBe(`${hanName}的银行卡已注销`);
    }
  });

  it("masks phone numbers and a transliterated name in a token's revocation reason for admins", async () => {
    const users = await ledger.as('admin').get('/users').expect(200);
    const auditor = users.body.users.find((user: { userId: string }) => user.userId === 'auditor');
    expect(auditor.changes.find((change: { type: string }) => change.type === 'TokenRevoked').reason).toBe('古****** (139****5678) 说这台电脑丢了');
  });

  it("refuses bureau staff and admins a student's history whatever the identifier, as for a student with no record", async () => {
    for (const role of ['bureau_staff', 'admin'] as const) {
      const answers = [];
      for (const key of [id, `G${id}`, namedKey, residentId(23, 2012), 'not-an-id']) {
        const response = await ledger.as(role).get(`/beneficiaries/${key}/history`);
        answers.push({ status: response.status, code: response.body.code, detail: response.body.detail });
      }
      expect(answers).toEqual(Array(5).fill({ status: 403, code: 'FORBIDDEN', detail: `the role ${role} may not call GET /beneficiaries/:studentKey/history` }));
    }
  });
});

/**
 * A payment's id names a record, but a payment id with a student named beside it asks whether that
 * person received aid: imported payments are numbered 1, 2, 3 … per list, easy to guess. A role that
 * sees personal data masked may look a payment up by its id alone, never with `residentId` or
 * `studentNumber`: refused before any look-up, with one answer whatever the identifier.
 */
describe('naming a student beside a payment id', () => {
  let ledger: LedgerUnderTest;
  const paid = residentId(31, 2012);
  const paidOtherwise = residentId(32, 2012);
  const withoutRecord = residentId(33, 2012);

  /** The opaque key of the record of the student paid by payment 1, as the ledger answered it. */
  let paidKey: string;

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
    const first = await ledger.http.post('/disbursements').send(boardingPayment(0, { disbursementId: '1', student: { residentId: paid, studentNumber: `G${paid}` } })).expect(201);
    paidKey = studentKeyOfStream(first.body.streamId);
    await ledger.http.post('/disbursements').send(boardingPayment(0, { disbursementId: '2', student: { residentId: paidOtherwise } })).expect(201);
  });
  afterAll(async () => {
    await ledger.stop();
  });

  const asking = (role: 'bureau_staff' | 'auditor' | 'finance_officer', disbursementId: string, query: Record<string, string>) =>
    ledger.as(role).get(`/disbursements/${disbursementId}`).query(query);

  it('refuses bureau staff the same 403 whether or not the person named has that payment, has a record, or is named well', async () => {
    const queries: Array<Record<string, string>> = [
      { residentId: paid },
      { residentId: paidOtherwise },
      { residentId: withoutRecord },
      { studentNumber: `G${paid}` },
      { studentNumber: `G${withoutRecord}` },
      { residentId: paid, studentNumber: `G${paid}` },
      { residentId: '654002201001010010' },
      { residentId: '' },
    ];
    const answers: Array<Record<string, unknown>> = [];
    for (const disbursementId of ['1', '999']) {
      for (const query of queries) {
        const response = await asking('bureau_staff', disbursementId, query);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        answers.push({ status: response.status, ...response.body, instance: String(response.body.instance).replace(disbursementId, '<id>') });
      }
    }
    expect(answers[0]).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(answers[0].detail).toMatch(/residentId or studentNumber/);
    expect(answers).toEqual(answers.map(() => answers[0]));
    for (const value of [paid, paidOtherwise, withoutRecord]) expect(JSON.stringify(answers)).not.toContain(value);
  });

  it('still answers bureau staff a payment by its id alone, masked, and 404 for an id nobody holds', async () => {
    const payment = await ledger.as('bureau_staff').get('/disbursements/1').expect(200);
    expect(payment.body).toMatchObject({
      disbursementId: '1',
      beneficiaryKey: `${paidKey.slice(0, 6)}*****************${paidKey.slice(-4)}`,
      student: { residentId: `${paid.slice(0, 6)}********${paid.slice(-4)}` },
      amount: '500.00',
    });
    expect((await ledger.as('bureau_staff').get('/disbursements/999')).status).toBe(404);
  });

  it('answers auditors and finance officers who name the student 200 or 404, as before', async () => {
    for (const role of ['auditor', 'finance_officer'] as const) {
      const own = await asking(role, '1', { residentId: paid }).expect(200);
      expect(own.body).toMatchObject({ disbursementId: '1', beneficiaryKey: paidKey });
      expect(own.body.student).toEqual({ residentId: paid });
      const byNumber = await asking(role, '1', { studentNumber: `G${paid}` }).expect(200);
      expect(byNumber.body).toMatchObject({ disbursementId: '1', beneficiaryKey: paidKey });
      for (const residentIdNamed of [paidOtherwise, withoutRecord]) {
        const other = await asking(role, '1', { residentId: residentIdNamed });
        expect({ status: other.status, code: other.body.code }).toEqual({ status: 404, code: 'DISBURSEMENT_NOT_FOUND' });
      }
    }
  });
});

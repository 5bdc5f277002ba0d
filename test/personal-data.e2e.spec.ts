import { ROUTE_ROLES } from '../apps/ledger-api/src/access/route-permissions';
import { LedgerUnderTest } from './support/ledger-app';
import { residentId, schoolCode } from './support/students';

/**
 * bureau_staff never sees personal data: on every read route it may call, the student's ID and
 * student number, name and bank card reach it masked (DOMAIN.md §2). Auditors see them whole.
 */
describe('personal data on the read routes', () => {
  let ledger: LedgerUnderTest;
  const id = residentId(7, 2012);
  const studentNumber = `G${id}`;
  const name = '阿依古丽·买买提';
  const card = '6222020200112233445';

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
    await ledger.http
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

  it('covers the read routes that carry personal data', () => {
    expect(readRoutes()).toEqual(expect.arrayContaining(['/disbursements/personal-1', `/beneficiaries/${id}/history`]));
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
    const history = await ledger.as('bureau_staff').get(`/beneficiaries/${id}/history`).expect(200);
    expect(history.body.studentKey).toBe(`${id.slice(0, 6)}********${id.slice(-4)}`);
    expect(history.body.events[0].data.beneficiary).toEqual({
      key: `${id.slice(0, 6)}********${id.slice(-4)}`,
      residentId: `${id.slice(0, 6)}********${id.slice(-4)}`,
      studentNumber: `G${id.slice(0, 6)}********${id.slice(-4)}`,
      name: '阿*******',
    });
    expect(history.body.events[0].data.payee.account).toBe('622202*********3445');
    const payment = await ledger.as('bureau_staff').get('/disbursements/personal-1').expect(200);
    expect(payment.body).toMatchObject({ beneficiaryKey: `${id.slice(0, 6)}********${id.slice(-4)}`, amount: '625.00', status: 'reversed' });
  });

  it('shows auditors and officers the data their work needs, whole', async () => {
    for (const role of ['auditor', 'finance_officer'] as const) {
      const history = await ledger.as(role).get(`/beneficiaries/${id}/history`).expect(200);
      expect(history.body.events[0].data.beneficiary).toEqual({ key: id, residentId: id, studentNumber, name });
      expect(history.body.events[0].data.payee.account).toBe(card);
    }
  });
});

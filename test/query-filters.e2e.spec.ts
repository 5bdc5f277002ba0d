import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment } from './support/students';

/**
 * The filters of the query routes: a malformed one is a 400 naming its field, never an answer
 * that echoes it back (an 18-digit "school code" is as likely a resident ID, and bureau staff
 * would get it whole in `filter`), and never a silent empty answer.
 */
describe('query filters', () => {
  let ledger: LedgerUnderTest;
  const idLike = '654002201208085559';

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start({ LEDGER_RATE_LIMIT: '0' });
    await ledger.http.post('/disbursements').send(boardingPayment(1)).expect(201);
  });
  afterAll(async () => {
    await ledger.stop();
  });

  const refusal = async (path: string) => {
    const response = await ledger.as('bureau_staff').get(path);
    return {
      status: response.status,
      code: response.body.code,
      fields: (response.body.errors ?? []).map((problem: { field: string }) => problem.field),
      echoed: JSON.stringify(response.body).includes(idLike),
    };
  };

  it.each([
    ['a school code that is no school code', `/totals?schoolCode=${idLike}`, ['schoolCode']],
    ['a program not in the catalog', `/totals?programCode=${idLike}`, ['programCode']],
    ['a position beyond the log', `/totals?asOfPosition=${idLike}`, ['asOfPosition']],
    ['a period that is neither a term nor a school year', '/totals?period=2022-summer', ['period']],
    ['a school year that is not one', '/totals?period=2022-2024', ['period']],
    ['a stage not in the list', '/totals?stage=kindergarten', ['stage']],
    ['several at once', `/totals?schoolCode=21&programCode=NOPE&period=x&fiscalYear=22`, ['fiscalYear', 'programCode', 'schoolCode', 'period']],
    ['a program of no budget', `/budgets?programCode=${idLike}`, ['programCode']],
    ['an unknown budgets filter', `/budgets?schoolCode=${idLike}`, ['schoolCode']],
  ])('refuses %s on %s with a 400 naming it, echoing nothing', async (_what, path, fields) => {
    expect(await refusal(path)).toEqual({ status: 400, code: 'REQUEST_INVALID', fields: expect.arrayContaining(fields), echoed: false });
    expect((await refusal(path)).fields).toHaveLength(fields.length);
  });

  it.each([
    ['a position beyond the log', `/audit/anomalies?asOfPosition=${idLike}`, ['asOfPosition']],
    ['an unknown anomalies filter', `/audit/anomalies?programCode=${idLike}`, ['programCode']],
    ['an unknown reconciliation parameter', `/reports/yining-2022/reconciliation?fiscalYear=${idLike}`, ['fiscalYear']],
  ])('refuses %s on %s with a 400 naming it', async (_what, path, fields) => {
    const response = await ledger.as('auditor').get(path);
    expect({ status: response.status, code: response.body.code, fields: response.body.errors?.map((problem: { field: string }) => problem.field) }).toEqual({ status: 400, code: 'REQUEST_INVALID', fields });
  });

  it.each([
    ['an unknown parameter', `/imports?colour=${idLike}`, ['colour']],
    ['a format it does not write', '/imports?format=xml', ['format']],
    ['a commit that is neither true nor false', '/imports?commit=TRUE', ['commit']],
    ['all three at once', '/imports?commit=1&format=xml&x=1', ['x', 'format', 'commit']],
  ])('refuses on an import %s (%s) with a 400 naming it, before the upload is looked at, appending nothing', async (_what, path, fields) => {
    const before = await ledger.logPosition();
    const response = await ledger.http.post(path).attach('file', Buffer.from('姓名,身份证号\r\n'), '名单.csv');
    expect({ status: response.status, code: response.body.code, fields: response.body.errors?.map((problem: { field: string }) => problem.field), echoed: JSON.stringify(response.body).includes(idLike) }).toEqual({ status: 400, code: 'REQUEST_INVALID', fields, echoed: false });
    expect(await ledger.logPosition()).toBe(before);
  });

  it('says what a filter must be', async () => {
    const response = await ledger.as('bureau_staff').get(`/totals?schoolCode=${idLike}&asOfPosition=${idLike}`);
    const head = await ledger.logPosition();
    expect(response.body.errors).toEqual([
      { field: 'schoolCode', message: 'schoolCode must be exactly 10 digits' },
      { field: 'asOfPosition', message: `asOfPosition must be a position of the log, at most its head (${head})` },
    ]);
  });

  it('still answers well-formed filters, a position up to the head included', async () => {
    const head = await ledger.logPosition();
    const filtered = await ledger.as('bureau_staff').get('/totals?fiscalYear=2022&programCode=BOARDING_LIVING_SUBSIDY&schoolCode=2165000002&stage=primary&period=2022-Autumn').expect(200);
    expect(filtered.body.filter).toEqual({ fiscalYear: 2022, programCode: 'BOARDING_LIVING_SUBSIDY', schoolCode: '2165000002', stage: 'primary', period: '2022-autumn' });
    expect(filtered.body.totals).toHaveLength(1);
    const atHead = await ledger.as('bureau_staff').get(`/totals?asOfPosition=${head}`).expect(200);
    expect(atHead.body.pointInTime).toEqual({ asOfPosition: head });
    await ledger.as('bureau_staff').get('/budgets?fiscalYear=2022&programCode=YULU_PLAN').expect(200);
    await ledger.as('auditor').get(`/audit/anomalies?asOfPosition=${head}`).expect(200);
    await ledger.as('auditor').get('/reports/yining-2022/reconciliation?format=json').expect(200);
  });
});

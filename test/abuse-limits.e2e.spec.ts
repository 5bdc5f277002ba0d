import { LedgerUnderTest } from './support/ledger-app';

describe('abuse limits', () => {
  let ledger: LedgerUnderTest;
  beforeAll(async () => {
    ledger = await LedgerUnderTest.start({ LEDGER_RATE_LIMIT: '5' });
  });
  afterAll(async () => {
    await ledger.stop();
  });

  it('limits requests per client token, with a 429 problem, leaving other clients alone', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await ledger.as('auditor').get('/totals')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const limited = await ledger.as('auditor').get('/programs');
    expect({ status: limited.status, code: limited.body.code }).toEqual({ status: 429, code: 'RATE_LIMITED' });
    expect((await ledger.as('bureau_staff').get('/totals')).status).toBe(200);
  });

  it('sends security headers', async () => {
    const response = await ledger.as('anonymous').get('/health').expect(200);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(response.headers['x-powered-by']).toBeUndefined();
  });
});

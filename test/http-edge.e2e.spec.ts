import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment } from './support/students';

/**
 * What the HTTP edge answers around the handlers, as it did on Express: every refusal is a
 * problem+json (also those the router makes before any hook runs), a multipart body is taken by the
 * import only, a trailing slash names the same route, and every answer carries its request id.
 */
describe('the HTTP edge', () => {
  let ledger: LedgerUnderTest;
  beforeAll(async () => {
    ledger = await LedgerUnderTest.start({ LEDGER_RATE_LIMIT: '0' });
  });
  afterAll(() => ledger.stop());

  it('answers a path that is not valid percent-encoding with a 400 problem, not the router’s own body', async () => {
    const response = await ledger.http.get('/disbursements/%E0%A4%A');
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.body).toMatchObject({ status: 400, code: 'BAD_REQUEST', instance: '/disbursements/%E0%A4%A' });
  });

  it('answers an unknown path with a 404 problem', async () => {
    const response = await ledger.http.get('/no-such-route');
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 404, code: 'NOT_FOUND', instance: '/no-such-route' });
  });

  it('refuses a multipart body on a JSON route with 415, appending nothing', async () => {
    const before = await ledger.logPosition();
    const response = await ledger.http.post('/disbursements').field('student', 'x');
    expect({ status: response.status, code: response.body.code, fields: response.body.errors?.map((problem: { field: string }) => problem.field) }).toEqual({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', fields: ['Content-Type'] });
    expect(await ledger.logPosition()).toBe(before);
  });

  it('takes a path with a trailing slash as the route without it', async () => {
    await ledger.http.post('/disbursements/').send(boardingPayment(1)).expect(201);
    const totals = await ledger.http.get('/totals/').query({ fiscalYear: 2022 }).expect(200);
    expect(totals.body.totals[0].paid.personTimes).toBe(1);
  });

  it('sends the security headers on every answer: a query, a refusal, a public route', async () => {
    const answers = [await ledger.http.get('/totals'), await ledger.http.get('/no-such-route'), await ledger.as('bureau_staff').get('/audit/export'), await ledger.as('anonymous').get('/health')];
    expect(answers.map((response) => response.status)).toEqual([200, 404, 403, 200]);
    for (const response of answers) {
      expect(response.headers).toMatchObject({
        'content-security-policy': expect.stringContaining("default-src 'self'"),
        'strict-transport-security': 'max-age=31536000; includeSubDomains',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'SAMEORIGIN',
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
      });
      // No forced HTTPS upgrade: the service is often reached over plain HTTP on an intranet.
      expect(response.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    }
  });

  it('answers HEAD as the GET of the same route, with the same roles, and no body', async () => {
    const health = await ledger.as('anonymous').head('/health');
    expect([health.status, health.text ?? '']).toEqual([200, '']);
    expect((await ledger.http.head('/totals')).status).toBe(200);
    expect((await ledger.as('anonymous').head('/totals')).status).toBe(401);
    expect((await ledger.as('bureau_staff').head('/audit/export')).status).toBe(403);
  });

  it('answers a request head too large for the HTTP parser (a 100,000-character path) with a 431 problem', async () => {
    const server = ledger.app.getHttpServer() as import('node:http').Server;
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = require('node:net').connect(port, '127.0.0.1', () => socket.write(`GET /disbursements/${'x'.repeat(100_000)} HTTP/1.1\r\nHost: ledger\r\n\r\n`));
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk)).on('close', () => resolve(text)).on('error', reject);
    });
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 /);
    expect(head).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(body)).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
  });
});

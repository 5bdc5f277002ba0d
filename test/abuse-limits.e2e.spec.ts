import { Role } from '@ledger/domain';
import { ROUTE_ROLES } from '../apps/ledger-api/src/access/route-permissions';
import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment, residentId } from './support/students';

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

/**
 * Hostile JSON bodies on every JSON write route: keys named after what every object inherits
 * (which the DTO layer would drop without a word) and bodies nested far deeper than any request
 * needs (which would overflow the stack of the recursive code behind the parser). Each is a 400
 * naming what is wrong, and the log does not move.
 */
describe('hostile JSON bodies', () => {
  let ledger: LedgerUnderTest;
  let revocableTokenId = '';
  beforeAll(async () => {
    ledger = await LedgerUnderTest.start({ LEDGER_RATE_LIMIT: '0' });
    await ledger.http.post('/disbursements').send(boardingPayment(1, { disbursementId: 'edge-paid' })).expect(201);
    await ledger.http.post('/loans').send(loanOf(2, 'edge-loan')).expect(201);
    await ledger.as('admin').post('/users').send({ userId: 'edge-clerk', displayName: 'Edge clerk', role: 'bureau_staff' }).expect(201);
    revocableTokenId = (await ledger.as('admin').post('/users/auditor/tokens').send({}).expect(201)).body.tokenId;
  });
  afterAll(async () => {
    await ledger.stop();
  });

  const loanOf = (i: number, loanId: string) => ({
    ...boardingPayment(i),
    loanId,
    stage: 'undergraduate',
    schoolCode: '4165010694',
    programCode: 'ORIGIN_CREDIT_LOAN',
    period: '2022-2023',
    amount: '100.00',
    payee: { type: 'university_fee_account' },
  });

  /** Every JSON write route with a body it would accept, and the object field a nested key goes into. */
  const routes = (i: number): Record<string, { path: string; role: Role; body: Record<string, unknown>; nestIn: string }> => ({
    'POST /disbursements': { path: '/disbursements', role: 'finance_officer', body: boardingPayment(100 + i), nestIn: 'student' },
    'POST /approvals': { path: '/approvals', role: 'finance_officer', body: { ...boardingPayment(100 + i), payee: undefined, valueDate: undefined, approvedOn: '2022-09-01' }, nestIn: 'student' },
    'POST /disbursements/:disbursementId/reversal': { path: '/disbursements/edge-paid/reversal', role: 'finance_officer', body: { reason: 'edge', valueDate: '2022-11-01' }, nestIn: 'student' },
    'POST /loans': { path: '/loans', role: 'finance_officer', body: loanOf(500 + i, `edge-loan-${i}`), nestIn: 'payee' },
    'POST /loans/:loanId/repayments': { path: '/loans/edge-loan/repayments', role: 'finance_officer', body: { amount: '1.00', valueDate: '2025-12-20' }, nestIn: 'student' },
    'POST /budgets/allocations': { path: '/budgets/allocations', role: 'finance_officer', body: { programCode: 'YULU_PLAN', fiscalYear: 2022, fundingSource: 'RURAL_REVITALISATION', amount: '1.00', valueDate: '2022-03-01' }, nestIn: 'note' },
    'POST /users': { path: '/users', role: 'admin', body: { userId: `edge-${i}`, displayName: 'Edge', role: 'auditor' }, nestIn: 'displayName' },
    'POST /users/:userId/role': { path: '/users/edge-clerk/role', role: 'admin', body: { role: 'auditor' }, nestIn: 'role' },
    'POST /users/:userId/tokens': { path: '/users/auditor/tokens', role: 'admin', body: { label: 'edge' }, nestIn: 'label' },
    'POST /tokens/:tokenId/revocation': { path: `/tokens/${revocableTokenId}/revocation`, role: 'admin', body: { reason: 'edge' }, nestIn: 'reason' },
    // A student with no record: even a body that got through could erase nobody.
    'POST /students/:studentKey/erasure': { path: `/students/${residentId(990)}/erasure`, role: 'admin', body: { legalBasis: 'RETENTION_ENDED', reference: 'edge' }, nestIn: 'reference' },
    'POST /students/:studentKey/legal-hold': { path: `/students/${residentId(990)}/legal-hold`, role: 'admin', body: { legalBasis: 'STATUTORY_RETENTION', reference: 'edge' }, nestIn: 'reference' },
    'POST /students/:studentKey/legal-hold/lift': { path: `/students/${residentId(990)}/legal-hold/lift`, role: 'admin', body: { reference: 'edge', reason: 'edge' }, nestIn: 'reason' },
  });

  it('covers every JSON write route of the role matrix', () => {
    const jsonWrites = Object.keys(ROUTE_ROLES).filter((key) => key.startsWith('POST') && !['POST /imports', 'POST /audit/digests'].includes(key));
    expect(Object.keys(routes(0)).sort()).toEqual(jsonWrites.sort());
  });

  const BUILT_IN_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__'];

  /** The body as JSON text with `"name": {...}` first in the object at `path` (as text: in an object literal `__proto__` would set the prototype). */
  const withKey = (body: Record<string, unknown>, path: string | undefined, name: string) => {
    const copy = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
    if (path === undefined) return JSON.stringify(copy).replace(/^\{/, `{"${name}":{"admin":true},`);
    if (typeof copy[path] !== 'object' || copy[path] === null) copy[path] = {};
    return JSON.stringify(copy).replace(`"${path}":{`, `"${path}":{"${name}":{"admin":true},`).replace(',}', '}');
  };

  it.each(Object.keys(routes(0)))('%s refuses keys named after object built-ins, at the top and nested, naming the field', async (route) => {
    const before = await ledger.logPosition();
    const answers: string[] = [];
    let i = 0;
    for (const name of BUILT_IN_NAMES) {
      for (const where of [undefined, routes(0)[route].nestIn]) {
        const { path, role, body } = routes(i++)[route];
        const response = await ledger.as(role).post(path).set('content-type', 'application/json').send(withKey(body, where, name));
        const field = where === undefined ? name : `${where}.${name}`;
        const named = (response.body.errors ?? []).some((problem: { field: string }) => problem.field === field);
        answers.push(`${field}: ${response.status} ${response.body.code}${named ? '' : ' (field not named)'}`);
      }
    }
    expect(answers.filter((answer) => !/: 400 REQUEST_INVALID$/.test(answer))).toEqual([]);
    expect(await ledger.logPosition()).toBe(before);
  });

  it('still accepts the same bodies without those keys', async () => {
    const { path, body } = routes(999)['POST /disbursements'];
    await ledger.http.post(path).send(body).expect(201);
  });

  const deepArray = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
  const deepObject = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

  it.each(Object.keys(routes(0)))('%s refuses a body nested 10,000 deep with a 400 BODY_TOO_DEEP, never a 5xx', async (route) => {
    const { path, role, body } = routes(0)[route];
    const before = await ledger.logPosition();
    const bodies = {
      'whole body': deepArray(10_000),
      'one field': JSON.stringify(body).replace(/^\{/, `{"extra":${deepArray(10_000)},`),
      'objects in one field': JSON.stringify(body).replace(/^\{/, `{"extra":${deepObject(10_000)},`),
      '1 MB of [': '['.repeat(1_000_000),
      '1 MB balanced': deepArray(500_000),
    };
    const answers: Record<string, string> = {};
    for (const [what, text] of Object.entries(bodies)) {
      const response = await ledger.as(role).post(path).set('content-type', 'application/json').send(text);
      answers[what] = `${response.status} ${response.body.code}`;
    }
    expect(answers).toEqual(Object.fromEntries(Object.keys(bodies).map((what) => [what, '400 BODY_TOO_DEEP'])));
    expect(await ledger.logPosition()).toBe(before);
  });

  it('explains the depth refusal, and accepts a body as deep as a request needs', async () => {
    const response = await ledger.http.post('/disbursements').set('content-type', 'application/json').send(deepArray(100));
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 400, code: 'BODY_TOO_DEEP', detail: expect.stringMatching(/nested deeper than \d+ levels/) });
    // Brackets inside strings (escaped quotes and backslashes included) are text, not nesting.
    const note = `a "quoted" \\ ${'[{'.repeat(40)} note`;
    await ledger.http.post('/budgets/allocations').send({ programCode: 'YULU_PLAN', fiscalYear: 2022, fundingSource: 'RURAL_REVITALISATION', amount: '1.00', valueDate: '2022-03-01', note }).expect(201);
    const nested = JSON.parse(`{"a":${deepArray(30)}}`);
    expect((await ledger.http.post('/budgets/allocations').send({ note: 'x', nested })).body.code).toBe('REQUEST_INVALID');
  });

  it.each(Object.keys(routes(0)))('%s refuses a JSON body sent without content-type: application/json with a 415 saying so, appending nothing', async (route) => {
    const { path, role, body } = routes(0)[route];
    const before = await ledger.logPosition();
    const text = JSON.stringify(body);
    const answers: Record<string, unknown> = {};
    for (const [how, send] of [
      ['text/plain', () => ledger.as(role).post(path).type('text/plain').send(text)],
      ['form-urlencoded (curl -d)', () => ledger.as(role).post(path).send(text)],
      ['no content-type', () => ledger.as(role).post(path).send(Buffer.from(text))],
    ] as const) {
      const response = await send();
      answers[how] = { status: response.status, code: response.body.code, fields: response.body.errors?.map((problem: { field: string }) => problem.field), type: response.headers['content-type'] };
    }
    const refused = { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', fields: ['Content-Type'], type: expect.stringMatching(/^application\/problem\+json/) };
    expect(answers).toEqual({ 'text/plain': refused, 'form-urlencoded (curl -d)': refused, 'no content-type': refused });
    expect(await ledger.logPosition()).toBe(before);
  });

  it('says what the body must be sent as, and still takes a write with no body where none is needed', async () => {
    const response = await ledger.http.post('/disbursements/edge-paid/reversal').type('text/plain').send('{"reason": "edge", "valueDate": "2022-11-01"}');
    expect(response.body.detail).toBe('the body must be JSON, sent with Content-Type: application/json (this one was sent as text/plain)');
    await ledger.as('admin').post('/users/auditor/tokens').expect(201);
  });

  it('refuses JSON in another charset than UTF-8, which the depth check could not read', async () => {
    const text = JSON.stringify({ reason: 'edge', valueDate: '2022-11-01' });
    const response = await ledger.http.post('/disbursements/edge-paid/reversal').set('content-type', 'application/json; charset=utf-16le').send(Buffer.from(text, 'utf16le'));
    expect({ status: response.status, code: response.body.code }).toEqual({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
  });
});

describe('malformed JSON', () => {
  let ledger: LedgerUnderTest;
  beforeAll(async () => {
    ledger = await LedgerUnderTest.start({ LEDGER_RATE_LIMIT: '0' });
  });
  afterAll(async () => {
    await ledger.stop();
  });

  it.each(['{"note": "654002201001010015', '{x}', '"654002201001010015"', '[1,'])('answers %s with 400 BODY_MALFORMED, saying where and echoing nothing of it', async (text) => {
    const before = await ledger.logPosition();
    const response = await ledger.http.post('/budgets/allocations').set('content-type', 'application/json').send(text);
    const said = text.startsWith('"') ? /^请求体应为 JSON 对象或数组.* \/ the request body must be a JSON object or array/ : /^请求体不是有效的 JSON.* \/ the request body is not valid JSON/;
    expect(response.body).toMatchObject({ status: 400, code: 'BODY_MALFORMED', detail: expect.stringMatching(said), errors: [{ field: 'body', message: expect.stringMatching(said) }] });
    expect(JSON.stringify(response.body)).not.toContain('654002');
    expect(await ledger.logPosition()).toBe(before);
  });

  it.each([
    ['a field twice', '{"programCode":"BOARDING_LIVING_SUBSIDY","fiscalYear":2022,"programCode":"YULU_PLAN"}', '"programCode"'],
    ['a nested field twice, spelled with an escape the second time', '{"student":{"residentId":"1","residentId":"2"}}', '"residentId"'],
    ['a key no route takes, twice', '{"学生":1,"\\u5b66\\u751f":2}', 'a key'],
  ])('answers a body naming %s with 400 BODY_KEY_REPEATED on body (JSON.parse would keep the last), appending nothing', async (_, text, named) => {
    const before = await ledger.logPosition();
    const response = await ledger.http.post('/budgets/allocations').set('content-type', 'application/json').send(text);
    expect(response.body).toMatchObject({ status: 400, code: 'BODY_KEY_REPEATED', errors: [{ field: 'body', message: expect.stringContaining(`names ${named} twice in one object`) }] });
    expect(response.body.detail).toMatch(/出现了两次/);
    expect(await ledger.logPosition()).toBe(before);
  });

  it('takes the same key in two objects of one body, and the same string as a key and as a value', async () => {
    const response = await ledger.http.post('/budgets/allocations').set('content-type', 'application/json').send('{"a":{"x":1},"b":{"x":"x"},"x":["x",{"x":1}]}');
    expect(response.body.code).not.toBe('BODY_KEY_REPEATED');
    expect(response.status).toBe(400); // refused for what it is — no allocation — not for its keys
  });
});

import { ROUTE_ROLES } from '../../apps/ledger-api/src/access/route-permissions';
import { LedgerUnderTest } from '../support/ledger-app';
import { boardingPayment, residentId } from '../support/students';

/**
 * At least 1,000 generated malformed payloads to every write route: every answer a 4xx, never a
 * 5xx, and the log does not move. Payloads are a valid body mutated (fields dropped, retyped,
 * overlong, wrong formats, nested junk) by a fixed-seed generator, so a failure is reproducible.
 */
const CASES_PER_ROUTE = 1000;

function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const JUNK: unknown[] = [
  null, true, false, 0, -1, 1e308, Number.MAX_SAFE_INTEGER, '', ' ', 'x'.repeat(5000), '-500.00', '1e3', '０１２', 'NaN', '999999999999999999.99',
  '2022-02-30', '2022-13-01', '../../etc/passwd', '<script>alert(1)</script>', '\u0000', '😀', [], {}, [1, 2], { $gt: '' }, JSON.parse('{"__proto__": {"admin": true}}'), JSON.parse('{"constructor": {"prototype": {"admin": true}}}'),
  '11010519491231002X', 'G11010519491231002X', 'L654002201001011234', '2022-autumn', '2022-2023', 'YULU_PLAN', 'student', '500.00',
];

/** A JUNK value as a fresh copy: a payload's objects are mutated later, and must not change JUNK itself. */
const junk = (value: unknown) => (value !== null && typeof value === 'object' ? JSON.parse(JSON.stringify(value)) : value);

const INVALID: unknown[] = [null, 12345, 1e308, true, '', '   ', [], {}, { nested: 'junk' }, 'x'.repeat(5000), '\u0000'];

/** Random mutations (which alone may leave the body valid), then one that surely breaks it. */
function mutate(body: Record<string, unknown>, required: string[], next: () => number): unknown {
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)];
  const scrambled = scramble(JSON.parse(JSON.stringify(body)) as Record<string, unknown>, next);
  if (typeof scrambled !== 'object' || scrambled === null || Array.isArray(scrambled)) return scrambled;
  const broken = scrambled as Record<string, unknown>;
  switch (Math.floor(next() * 3)) {
    case 0:
      delete broken[pick(required)];
      break;
    case 1:
      broken[pick(required)] = pick(INVALID);
      break;
    default:
      broken[`unexpected_${Math.floor(next() * 1000)}`] = junk(pick(JUNK)) ?? 'x';
  }
  return broken;
}

function scramble(body: Record<string, unknown>, next: () => number): unknown {
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)];
  const copy: Record<string, unknown> = body;
  const keys = Object.keys(copy);
  const mutations = 1 + Math.floor(next() * 3);
  for (let i = 0; i < mutations; i++) {
    const key = pick(keys);
    switch (Math.floor(next() * 6)) {
      case 0:
        delete copy[key];
        break;
      case 1:
        if (!(key in copy)) break;
        copy[key] = junk(pick(JUNK));
        break;
      case 2:
        if (copy[key] && typeof copy[key] === 'object') (copy[key] as Record<string, unknown>)[pick(['residentId', 'studentNumber', 'type', 'name', 'account', 'extra'])] = junk(pick(JUNK));
        else copy[key] = { nested: junk(pick(JUNK)) };
        break;
      case 3:
        copy[pick(['extra', 'actor', 'metadata', 'constructor'])] = junk(pick(JUNK));
        break;
      case 4:
        if (typeof copy[key] === 'string') copy[key] = `${copy[key]}${pick(['0', '.', 'X', ' ', '-', '１'])}`;
        break;
      default:
        return next() < 0.5 ? junk(pick(JUNK)) : copy; // sometimes the whole body is junk
    }
  }
  return copy;
}

/** Names every object inherits: a body key named so must be refused like any unknown field. */
const BUILT_IN_NAMES = [...Object.getOwnPropertyNames(Object.prototype), 'prototype'];

/**
 * A hostile body as JSON text: nesting far deeper than any request (in the whole body, in a
 * field, of arrays or objects, balanced or not, now and then up to 1 MB), or a key named after an
 * object built-in (at the top or nested). Returns the text and the field path a key case must name.
 */
function hostile(body: Record<string, unknown>, next: () => number): { text: string; field?: string } {
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
  const json = JSON.stringify(body);
  const kind = Math.floor(next() * 4);
  if (kind < 2) {
    const [open, close] = pick([['[', ']'], ['{"k":', '}'], ['[{"k":', '}]']] as const);
    // Now and then as deep as fits under the 1 MB body limit.
    const depth = next() < 0.03 ? Math.floor(900_000 / (open.length + close.length)) : 33 + Math.floor(next() * 20_000);
    const nested = `${open.repeat(depth)}${next() < 0.5 ? `1${close.repeat(depth)}` : ''}`;
    return { text: kind === 0 ? nested : json.replace(/^\{/, `{"${pick(Object.keys(body))}":${nested},`) };
  }
  const name = pick(BUILT_IN_NAMES);
  const value = pick(['1', '"x"', 'null', '[]', '{}', '{"admin":true}', '{"prototype":{"admin":true}}']);
  const objectFields = Object.keys(body).filter((key) => body[key] !== null && typeof body[key] === 'object');
  if (kind === 2 || objectFields.length === 0) return { text: json.replace(/^\{/, `{"${name}":${value},`), field: name };
  const field = pick(objectFields);
  return { text: json.replace(`"${field}":{`, `"${field}":{"${name}":${value},`).replace(',}', '}'), field: `${field}.${name}` };
}

describe('fuzzing every write route', () => {
  let ledger: LedgerUnderTest;
  beforeAll(async () => {
    ledger = await LedgerUnderTest.start({ LEDGER_RATE_LIMIT: '0' });
    await ledger.http.post('/disbursements').send(boardingPayment(1, { disbursementId: 'fuzz-paid' })).expect(201);
    await ledger.http
      .post('/loans')
      .send({ ...boardingPayment(2), loanId: 'fuzz-loan', stage: 'undergraduate', schoolCode: '4165010694', programCode: 'ORIGIN_CREDIT_LOAN', period: '2022-2023', amount: '8000.00', payee: { type: 'university_fee_account' } })
      .expect(201);
  });
  afterAll(async () => {
    await ledger.stop();
  });

  const AID_LINE = ['student', 'schoolCode', 'stage', 'programCode', 'period', 'amount'];
  const valid: Record<string, { path: string; role: 'finance_officer' | 'admin'; body: Record<string, unknown>; required: string[] }> = {
    'POST /disbursements': { path: '/disbursements', role: 'finance_officer', body: { ...boardingPayment(10), disbursementId: 'fuzz-1' }, required: [...AID_LINE, 'payee', 'valueDate'] },
    'POST /approvals': { path: '/approvals', role: 'finance_officer', body: { ...boardingPayment(11), approvalId: 'fuzz-a', approvedOn: '2022-09-01', payee: undefined, valueDate: undefined }, required: [...AID_LINE, 'approvedOn'] },
    'POST /disbursements/:disbursementId/reversal': { path: '/disbursements/fuzz-paid/reversal', role: 'finance_officer', body: { reason: 'fuzz', valueDate: '2022-11-01' }, required: ['reason', 'valueDate'] },
    'POST /loans': { path: '/loans', role: 'finance_officer', body: { ...boardingPayment(12), loanId: 'fuzz-l', stage: 'undergraduate', schoolCode: '4165010694', programCode: 'ORIGIN_CREDIT_LOAN', period: '2022-2023', amount: '100.00', payee: { type: 'university_fee_account' } }, required: [...AID_LINE, 'payee', 'valueDate'] },
    'POST /loans/:loanId/repayments': { path: '/loans/fuzz-loan/repayments', role: 'finance_officer', body: { amount: '1.00', valueDate: '2025-12-20' }, required: ['amount', 'valueDate'] },
    'POST /budgets/allocations': { path: '/budgets/allocations', role: 'finance_officer', body: { programCode: 'YULU_PLAN', fiscalYear: 2022, fundingSource: 'RURAL_REVITALISATION', amount: '1.00', valueDate: '2022-03-01' }, required: ['programCode', 'fiscalYear', 'fundingSource', 'amount', 'valueDate'] },
    'POST /users': { path: '/users', role: 'admin', body: { userId: 'fuzzed', displayName: 'Fuzz', role: 'auditor' }, required: ['userId', 'displayName', 'role'] },
    'POST /users/:userId/role': { path: '/users/officer/role', role: 'admin', body: { role: 'auditor' }, required: ['role'] },
    'POST /tokens/:tokenId/revocation': { path: '/tokens/0123456789abcdef/revocation', role: 'admin', body: { reason: 'fuzz' }, required: ['reason'] },
    // A student with no record: even a body that got through could erase nobody (and would be a 404).
    'POST /students/:studentKey/erasure': { path: `/students/${residentId(990)}/erasure`, role: 'admin', body: { legalBasis: 'RETENTION_ENDED', reference: 'fuzz' }, required: ['legalBasis', 'reference'] },
    'POST /students/:studentKey/legal-hold': { path: `/students/${residentId(990)}/legal-hold`, role: 'admin', body: { legalBasis: 'STATUTORY_RETENTION', reference: 'fuzz' }, required: ['legalBasis', 'reference'] },
    'POST /students/:studentKey/legal-hold/lift': { path: `/students/${residentId(990)}/legal-hold/lift`, role: 'admin', body: { reference: 'fuzz', reason: 'fuzz' }, required: ['reference', 'reason'] },
  };

  const writeRoutes = Object.keys(ROUTE_ROLES).filter((key) => key.startsWith('POST') && !['POST /imports', 'POST /audit/digests', 'POST /users/:userId/tokens'].includes(key));

  it('covers every JSON write route', () => {
    expect(writeRoutes.sort()).toEqual(Object.keys(valid).sort());
  });

  it.each(Object.keys(valid))(`%s answers ${CASES_PER_ROUTE} malformed payloads with 4xx and appends nothing`, async (route) => {
    expect((await ledger.as(valid[route].role).post(valid[route].path).send({ ...valid[route].body, unexpected: 1 })).status).toBe(400);
    const { path, role, body, required } = valid[route];
    const next = random(route.length * 7919);
    const before = await ledger.logPosition();
    const statuses = new Map<number, number>();
    for (let i = 0; i < CASES_PER_ROUTE; i++) {
      const payload = mutate(body, required, next);
      const request = ledger.as(role).post(path);
      const response = typeof payload === 'object' && payload !== null ? await request.send(payload as object) : await request.set('content-type', 'application/json').send(JSON.stringify(payload));
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status >= 500) throw new Error(`${route} answered ${response.status} to ${JSON.stringify(payload).slice(0, 300)}: ${JSON.stringify(response.body)}`);
      if (response.status < 400) throw new Error(`${route} accepted a malformed payload: ${JSON.stringify(payload).slice(0, 300)}`);
    }
    expect(await ledger.logPosition()).toBe(before);
    console.log(`${route}: ${CASES_PER_ROUTE} cases, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  });

  const HOSTILE_CASES_PER_ROUTE = 200;

  it.each(Object.keys(valid))(`%s answers ${HOSTILE_CASES_PER_ROUTE} over-deep bodies and built-in keys with 400 and appends nothing`, async (route) => {
    const { path, role, body } = valid[route];
    const next = random(route.length * 104729);
    const before = await ledger.logPosition();
    const codes = new Map<string, number>();
    for (let i = 0; i < HOSTILE_CASES_PER_ROUTE; i++) {
      const { text, field } = hostile(JSON.parse(JSON.stringify(body)), next);
      const response = await ledger.as(role).post(path).set('content-type', 'application/json').send(text);
      const answer = `${response.status} ${response.body.code}`;
      codes.set(answer, (codes.get(answer) ?? 0) + 1);
      const expected = field === undefined ? '400 BODY_TOO_DEEP' : '400 REQUEST_INVALID';
      const named = field === undefined || (response.body.errors ?? []).some((problem: { field: string }) => problem.field === field);
      if (answer !== expected || !named) throw new Error(`${route} answered ${answer} (expected ${expected}${field ? ` naming ${field}` : ''}) to ${text.slice(0, 200)}…: ${JSON.stringify(response.body).slice(0, 300)}`);
    }
    expect(await ledger.logPosition()).toBe(before);
    console.log(`${route}: ${HOSTILE_CASES_PER_ROUTE} hostile bodies, answers ${JSON.stringify(Object.fromEntries(codes))}`);
  });
});

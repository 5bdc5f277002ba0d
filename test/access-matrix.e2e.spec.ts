import { AccessControl, writeContextFor } from '@ledger/application';
import { ROLES, Role } from '@ledger/domain';
import { PUBLIC, ROUTE_ROLES, routeKey } from '../apps/ledger-api/src/access/route-permissions';
import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment, residentId } from './support/students';

/**
 * Every API route the application serves, as its API document (/docs-json) lists them: the
 * document is made from the controllers, so a new route appears in it whether or not it was placed
 * in the role matrix. OpenAPI's `{name}` parameters are written `:name`, as the matrix writes them.
 * (The API docs and the dashboard page are public files, not API routes, and are not in it.)
 */
async function servedRoutes(ledger: LedgerUnderTest): Promise<Array<{ method: string; path: string }>> {
  const paths: Record<string, Record<string, unknown>> = (await ledger.as('anonymous').get('/docs-json').expect(200)).body.paths;
  return Object.entries(paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => ({ method: method.toUpperCase(), path: path.replace(/\{(\w+)\}/g, ':$1') })),
  );
}

const SAMPLE_PARAMS: Record<string, string> = {
  disbursementId: 'matrix-payment',
  loanId: 'matrix-loan',
  studentKey: residentId(42),
  code: 'YULU_PLAN',
  id: 'yining-2022',
  userId: 'officer',
  tokenId: '0123456789abcdef',
};

type Caller = Role | 'no token' | 'revoked token' | 'malformed token' | 'forged secret';

describe('who may call what: every route × every caller', () => {
  let ledger: LedgerUnderTest;
  let revokedToken: string;

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
    const access = ledger.app.get(AccessControl);
    const write = writeContextFor({ id: 'test-setup', role: 'admin' }, 'test');
    await access.execute({ type: 'AddUser', data: { userId: 'leaver', displayName: 'Left the office', role: 'finance_officer' } }, write);
    const issued = await access.issueToken('leaver', write);
    revokedToken = issued.token;
    await access.execute({ type: 'RevokeToken', data: { tokenId: issued.tokenId, reason: 'left' } }, write);
  });
  afterAll(async () => {
    await ledger.stop();
  });

  it('has exactly the served routes in the role matrix', async () => {
    const served = (await servedRoutes(ledger)).map(({ method, path }) => routeKey(method, path));
    // Both ways: every served route has an entry, every entry is a served route.
    expect(served.filter((key) => !(key in ROUTE_ROLES))).toEqual([]);
    expect(Object.keys(ROUTE_ROLES).filter((key) => !served.includes(key))).toEqual([]);
    expect(served.sort()).toEqual(Object.keys(ROUTE_ROLES).sort());
  });

  it('routes every entry of the role matrix to a handler, not to the not-found answer', async () => {
    const unrouted: string[] = [];
    for (const key of Object.keys(ROUTE_ROLES)) {
      const [method, pattern] = key.split(' ');
      const path = pattern.replace(/:(\w+)/g, (_, name: string) => SAMPLE_PARAMS[name]);
      const response = method === 'GET' ? await ledger.as('anonymous').get(path) : await ledger.as('anonymous').post(path).send({});
      // The guard answers an unknown caller 401 on every route that exists (public routes answer); only an unrouted path is a plain 404.
      if (response.status === 404 && response.body.code === 'NOT_FOUND') unrouted.push(key);
    }
    expect(unrouted).toEqual([]);
  });

  it('keeps the separation of duties the roles promise', () => {
    const rolesOf = (key: string) => ROUTE_ROLES[key] as readonly Role[];
    const aidWrites = Object.keys(ROUTE_ROLES).filter((key) => key.startsWith('POST') && !/users|tokens|audit|erasure|legal-hold/.test(key));
    // Erasing a child's personal data is the bureau's data-protection duty (an admin's), never the officer who records aid.
    expect(rolesOf('POST /students/:studentKey/erasure')).toEqual(['admin']);
    // So is putting a student on legal hold (storage only) and lifting it.
    expect(rolesOf('POST /students/:studentKey/legal-hold')).toEqual(['admin']);
    expect(rolesOf('POST /students/:studentKey/legal-hold/lift')).toEqual(['admin']);
    const aidReads = Object.keys(ROUTE_ROLES).filter((key) => key.startsWith('GET') && !/users|me|health|audit|personal-data/.test(key));
    for (const key of Object.keys(ROUTE_ROLES).filter((k) => /^GET \/audit\/(proofs|verify|anomalies|export)/.test(k))) {
      expect({ key, roles: rolesOf(key) }).toEqual({ key, roles: ['auditor'] });
    }
    for (const key of aidWrites) expect({ key, roles: rolesOf(key) }).toEqual({ key, roles: ['finance_officer'] });
    for (const key of aidReads) expect({ key, admin: rolesOf(key).includes('admin'), auditor: rolesOf(key).includes('auditor') }).toEqual({ key, admin: false, auditor: true });
    // Whether an identifier leads to a record (the person is an aid recipient) is personal data:
    // no route that looks a student up is open to a role that sees personal data masked.
    // The one exception is the erasure (an admin's): it names the student by identifier, as the family's
    // request does, and answers 404 for an identifier with no record — at the price, for a student who
    // has one, of erasing their data (recorded, with who did it): no way to look anyone up. The legal
    // hold is the same (an admin's; a student with a record is put on hold, recorded).
    const studentLookups = Object.keys(ROUTE_ROLES).filter((key) => key.includes(':studentKey') && !/^POST \/students\/:studentKey\/(erasure|legal-hold)/.test(key));
    expect(studentLookups).toEqual(['GET /beneficiaries/:studentKey/history']);
    for (const key of studentLookups) expect({ key, roles: rolesOf(key) }).toEqual({ key, roles: ['finance_officer', 'auditor'] });
    for (const key of Object.keys(ROUTE_ROLES).filter((k) => /users|tokens/.test(k) && k.startsWith('POST'))) {
      expect({ key, roles: rolesOf(key) }).toEqual({ key, roles: ['admin'] });
    }
  });

  const callers: Caller[] = [...ROLES, 'no token', 'revoked token', 'malformed token', 'forged secret'];

  it.each(Object.keys(ROUTE_ROLES))('%s answers each caller as the matrix says, and refused writes append nothing', async (key) => {
    const [method, pattern] = key.split(' ');
    const path = pattern.replace(/:(\w+)/g, (_, name: string) => SAMPLE_PARAMS[name]);
    const allowed = ROUTE_ROLES[key];
    const outcomes: Record<string, number> = {};
    const expected: Record<string, string> = {};
    for (const caller of callers) {
      const agent =
        caller === 'no token'
          ? ledger.as('anonymous')
          : caller === 'revoked token'
            ? ledger.as({ token: revokedToken })
            : caller === 'malformed token'
              ? ledger.as({ token: 'not-a-token' })
              : caller === 'forged secret'
                ? ledger.as({ token: ledger.tokens.auditor.replace(/\.[^.]+$/, `.${'A'.repeat(43)}`) })
                : ledger.as(caller);
      const before = await ledger.logPosition();
      const response = method === 'GET' ? await agent.get(path) : await agent.post(path).send({});
      const status = response.status;
      const isRole = (ROLES as readonly string[]).includes(caller);
      const permitted = allowed === PUBLIC || (isRole && allowed.includes(caller as Role));
      outcomes[caller] = status;
      if (allowed === PUBLIC) expected[caller] = status < 400 ? `${status}` : 'not 401/403';
      else if (!isRole) expected[caller] = '401';
      else expected[caller] = permitted ? 'not 401/403' : '403';
      const got = expected[caller] === 'not 401/403' ? (status === 401 || status === 403 ? `${status}` : 'not 401/403') : `${status}`;
      expect({ caller, status: got }).toEqual({ caller, status: expected[caller] });
      if (!permitted && method === 'POST') expect({ caller, position: await ledger.logPosition() }).toEqual({ caller, position: before });
      if (status === 401) expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('records the authenticated caller as the actor, never one named in the body', async () => {
    const response = await ledger.http.post('/budgets/allocations').send({
      programCode: 'YULU_PLAN',
      fiscalYear: 2022,
      fundingSource: 'RURAL_REVITALISATION',
      amount: '1000.00',
      valueDate: '2022-03-01',
      actor: { id: 'someone-else', role: 'admin' },
    });
    expect(response.status).toBe(400); // unknown field "actor" refused
    await ledger.http
      .post('/disbursements')
      .send(boardingPayment(43))
      .expect(201);
    const history = await ledger.as('auditor').get(`/beneficiaries/${residentId(43)}/history`).expect(200);
    expect(history.body.events[0].actor).toEqual({ id: 'officer', role: 'finance_officer' });
  });

  it('takes a revocation into effect on the very next request', async () => {
    const access = ledger.app.get(AccessControl);
    const write = writeContextFor({ id: 'test-setup', role: 'admin' }, 'test');
    const issued = await access.issueToken('auditor', write);
    await ledger.as({ token: issued.token }).get('/totals').expect(200);
    const revoked = await ledger.as('admin').post(`/tokens/${issued.tokenId}/revocation`).send({ reason: 'rotated' }).expect(200);
    expect(revoked.body).toEqual({ tokenId: issued.tokenId, revoked: true });
    const after = await ledger.as({ token: issued.token }).get('/totals');
    expect({ status: after.status, detail: after.body.detail }).toEqual({ status: 401, detail: 'the bearer token was revoked' });
  });

  it('lets an admin add a user and issue a token that works at once, shown only in that answer', async () => {
    await ledger.as('admin').post('/users').send({ userId: 'clerk', displayName: 'New clerk', role: 'bureau_staff' }).expect(201);
    const issued = await ledger.as('admin').post('/users/clerk/tokens').send({ label: 'desk', expiresInDays: 30 }).expect(201);
    expect(issued.body.token).toMatch(/^sal\.clerk\.[a-z0-9]+\.[A-Za-z0-9_-]{43}$/);
    const me = await ledger.as({ token: issued.body.token }).get('/me').expect(200);
    expect(me.body).toMatchObject({ userId: 'clerk', role: 'bureau_staff' });
    const users = await ledger.as('auditor').get('/users').expect(200);
    const clerk = users.body.users.find((user: { userId: string }) => user.userId === 'clerk');
    expect(clerk.changes.map((change: { type: string; by: { id: string } }) => [change.type, change.by.id])).toEqual([
      ['UserAdded', 'admin'],
      ['TokenIssued', 'admin'],
    ]);
    expect(JSON.stringify(users.body)).not.toContain(issued.body.token.split('.')[3]);
    expect(JSON.stringify(users.body)).not.toMatch(/secretHash/);
  });

  it('never answers a retried token request with a secret that does not work: the secret was shown once', async () => {
    await ledger.as('admin').post('/users').send({ userId: 'temp', displayName: 'Temporary clerk', role: 'bureau_staff' }).expect(201);
    const first = await ledger.as('admin').post('/users/temp/tokens').set('Idempotency-Key', 'temp-desk-1').send({ label: 'desk' }).expect(201);
    await ledger.as({ token: first.body.token }).get('/me').expect(200);
    const before = await ledger.logPosition();
    const again = await ledger.as('admin').post('/users/temp/tokens').set('Idempotency-Key', 'temp-desk-1').send({ label: 'desk' });
    expect({ status: again.status, code: again.body.code, token: again.body.token }).toEqual({ status: 409, code: 'TOKEN_SECRET_SHOWN_ONCE', token: undefined });
    expect(again.body.detail).toContain(first.body.tokenId);
    expect(await ledger.logPosition()).toBe(before);
    // The first token still works; the retry issued none.
    await ledger.as({ token: first.body.token }).get('/me').expect(200);
    const users = await ledger.as('auditor').get('/users').expect(200);
    expect(users.body.users.find((user: { userId: string }) => user.userId === 'temp').tokens).toHaveLength(1);
  });
});

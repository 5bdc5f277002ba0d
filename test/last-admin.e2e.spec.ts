import { AccessControl, writeContextFor } from '@ledger/application';
import { DomainError } from '@ledger/domain';
import { LedgerUnderTest } from './support/ledger-app';

/**
 * The ledger always keeps an enabled admin: without one nobody could add a user or issue or revoke
 * a token (the CLI's `--as` needs an admin too), and nothing would bring one back.
 */
describe('the last enabled admin', () => {
  let ledger: LedgerUnderTest;
  const setup = writeContextFor({ id: 'test-setup', role: 'admin' }, 'test-setup');

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
  });
  afterAll(async () => {
    await ledger.stop();
  });

  const refusalOf = async (attempt: Promise<unknown>) => {
    const error = await attempt.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(DomainError);
    return { code: (error as DomainError).code, kind: (error as DomainError).kind };
  };

  it('may not demote themself: 409 problem+json, nothing appended, still admin', async () => {
    for (const role of ['auditor', 'finance_officer', 'bureau_staff']) {
      const before = await ledger.logPosition();
      const response = await ledger.as('admin').post('/users/admin/role').send({ role });
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect({ status: response.status, code: response.body.code, errors: response.body.errors }).toEqual({
        status: 409,
        code: 'LAST_ADMIN',
        errors: [{ field: 'userId', message: 'user "admin" is the last enabled admin: add another admin first, or nobody could manage users and tokens' }],
      });
      expect(await ledger.logPosition()).toBe(before);
    }
    expect((await ledger.as('admin').get('/me').expect(200)).body).toMatchObject({ userId: 'admin', role: 'admin' });
    await ledger.as('admin').post('/users').send({ userId: 'newcomer', displayName: 'Newcomer', role: 'bureau_staff' }).expect(201);
  });

  it('may not be disabled (the command has no route: through the application, as the CLI would)', async () => {
    const before = await ledger.logPosition();
    const access = ledger.app.get(AccessControl);
    expect(await refusalOf(access.execute({ type: 'DisableUser', data: { userId: 'admin', reason: 'left' } }, setup))).toEqual({ code: 'LAST_ADMIN', kind: 'conflict' });
    expect(await ledger.logPosition()).toBe(before);
    await ledger.as('admin').get('/me').expect(200);
  });

  it('may be demoted or disabled while another enabled admin remains, and then the other one is the last', async () => {
    await ledger.as('admin').post('/users').send({ userId: 'second-admin', displayName: 'Second admin', role: 'admin' }).expect(201);
    const second = (await ledger.as('admin').post('/users/second-admin/tokens').send({ label: 'test' }).expect(201)).body.token;
    // An admin demotes another admin over HTTP (here: the second demotes the first).
    const demoted = await ledger.as({ token: second }).post('/users/admin/role').send({ role: 'auditor' }).expect(200);
    expect(demoted.body).toEqual({ userId: 'admin', role: 'auditor' });
    expect((await ledger.as('admin').get('/me').expect(200)).body.role).toBe('auditor');

    const before = await ledger.logPosition();
    const refused = await ledger.as({ token: second }).post('/users/second-admin/role').send({ role: 'finance_officer' });
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 409, code: 'LAST_ADMIN' });
    expect(await ledger.logPosition()).toBe(before);

    // Made admin again, the first may be disabled: the second remains.
    await ledger.as({ token: second }).post('/users/admin/role').send({ role: 'admin' }).expect(200);
    const access = ledger.app.get(AccessControl);
    await access.execute({ type: 'DisableUser', data: { userId: 'admin', reason: 'left the office' } }, setup);
    expect((await ledger.as('admin').get('/me')).status).toBe(401);
    expect(await refusalOf(access.execute({ type: 'DisableUser', data: { userId: 'second-admin', reason: 'left' } }, setup))).toEqual({ code: 'LAST_ADMIN', kind: 'conflict' });
    await ledger.as({ token: second }).get('/me').expect(200);
  });
});

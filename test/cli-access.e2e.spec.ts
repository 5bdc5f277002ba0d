import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LedgerUnderTest } from './support/ledger-app';

const run = promisify(execFile);

/** The user and token CLI, as a separate process on the files of a running service. */
describe('managing users and tokens with the CLI while the service runs', () => {
  let ledger: LedgerUnderTest;
  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
  });
  afterAll(async () => {
    await ledger.stop();
  });

  const cli = async (...args: string[]) => {
    const main = join(__dirname, '../apps/ledger-cli/src/main.ts');
    try {
      const { stdout, stderr } = await run(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), main, ...args], {
        env: { ...process.env, LEDGER_DATA_DIR: ledger.dataDir },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };

  it('adds a user, issues a token that works at once, and revokes it with effect on the next request', async () => {
    expect(await cli('add-user', 'carol', '--role', 'auditor', '--name', 'Carol (audit office)')).toMatchObject({ code: 0 });
    const issued = await cli('issue-token', 'carol', '--label', 'audit laptop');
    expect(issued.code).toBe(0);
    const token = issued.stdout.trim();
    expect(token).toMatch(/^sal\.carol\.[a-z0-9]+\.[A-Za-z0-9_-]{43}$/);
    await ledger.as({ token }).get('/totals').expect(200);

    const tokenId = token.split('.')[2];
    expect(await cli('revoke-token', tokenId, '--reason', 'laptop stolen')).toMatchObject({ code: 0 });
    const after = await ledger.as({ token }).get('/totals');
    expect(after.status).toBe(401);

    const list = await cli('list');
    expect(list.stdout).toMatch(new RegExp(`carol\\s+auditor[\\s\\S]*token ${tokenId}\\s+revoked`));
    expect(list.stdout).not.toContain(token.split('.')[3]);

    const users = await ledger.as('auditor').get('/users').expect(200);
    const carol = users.body.users.find((user: { userId: string }) => user.userId === 'carol');
    expect(carol.changes.map((change: { type: string }) => change.type)).toEqual(['UserAdded', 'TokenIssued', 'TokenRevoked']);
    expect(carol.changes[0].by).toMatchObject({ id: expect.stringMatching(/^local:/), role: 'admin' });
  });

  it('refuses a bad role or a duplicate user with one clear line and a non-zero exit', async () => {
    const badRole = await cli('add-user', 'dave', '--role', 'superuser');
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toMatch(/role must be one of finance_officer, auditor, bureau_staff, admin/);
    const duplicate = await cli('add-user', 'officer', '--role', 'auditor');
    expect(duplicate).toMatchObject({ code: 1, stderr: expect.stringMatching(/user "officer" already exists/) });
  });
});

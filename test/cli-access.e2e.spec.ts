import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AccessControl, EVENT_STORE, WritePipeline, markDemoLedger, writeContextFor } from '@ledger/application';
import { EventStore, SqliteEventStore } from '@ledger/event-store';
import { isStudentKey } from '@ledger/personal-data';
import { LedgerUnderTest } from './support/ledger-app';
import { paymentRow, writeCsv } from './support/payment-lists';
import { residentId } from './support/students';

const run = promisify(execFile);

/** What an event appended by a CLI command records of where it came from: this machine, as this operating-system user. */
const viaTheCli = { channel: 'cli', osUser: userInfo().username, host: hostname() };

/** The CLI as a separate process on the files of a data directory (of a running service, or not). */
async function cli(dataDir: string, ...args: string[]) {
  const main = join(__dirname, '../apps/ledger-cli/src/main.ts');
  try {
    const { stdout, stderr } = await run(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), main, ...args], {
      env: { ...process.env, LEDGER_DATA_DIR: dataDir },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The user and token CLI, as a separate process on the files of a running service. */
describe('managing users and tokens with the CLI while the service runs', () => {
  let ledger: LedgerUnderTest;
  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
  });
  afterAll(async () => {
    await ledger.stop();
  });

  it('adds a user, issues a token that works at once, and revokes it with effect on the next request', async () => {
    expect(await cli(ledger.dataDir, 'add-user', 'carol', '--role', 'auditor', '--name', 'Carol (audit office)', '--as', 'admin')).toMatchObject({ code: 0 });
    const issued = await cli(ledger.dataDir, 'issue-token', 'carol', '--label', 'audit laptop', '--as', 'admin');
    expect(issued.code).toBe(0);
    const token = issued.stdout.trim();
    expect(token).toMatch(/^sal\.carol\.[a-z0-9]+\.[A-Za-z0-9_-]{43}$/);
    await ledger.as({ token }).get('/totals').expect(200);

    const tokenId = token.split('.')[2];
    expect(await cli(ledger.dataDir, 'revoke-token', tokenId, '--reason', 'laptop stolen', '--as', 'admin')).toMatchObject({ code: 0 });
    const after = await ledger.as({ token }).get('/totals');
    expect(after.status).toBe(401);

    const list = await cli(ledger.dataDir, 'list');
    expect(list.stdout).toMatch(new RegExp(`carol\\s+auditor[\\s\\S]*token ${tokenId}\\s+revoked`));
    expect(list.stdout).not.toContain(token.split('.')[3]);

    const users = await ledger.as('auditor').get('/users').expect(200);
    const carol = users.body.users.find((user: { userId: string }) => user.userId === 'carol');
    expect(carol.changes.map((change: { type: string; by: unknown }) => [change.type, change.by])).toEqual([
      ['UserAdded', { id: 'admin', role: 'admin', via: viaTheCli }],
      ['TokenIssued', { id: 'admin', role: 'admin', via: viaTheCli }],
      ['TokenRevoked', { id: 'admin', role: 'admin', via: viaTheCli }],
    ]);
  });

  it('tells the changes made over HTTP from those made on the command line, in the events themselves', async () => {
    expect(await cli(ledger.dataDir, 'add-user', 'erin', '--role', 'auditor', '--as', 'admin')).toMatchObject({ code: 0 });
    await ledger.as('admin').post('/users/erin/role').send({ role: 'bureau_staff' }).expect(200);
    const events = await ledger.app.get<EventStore>(EVENT_STORE).readStream('access-control');
    const erin = events.filter((event) => (event.data as { userId?: string }).userId === 'erin');
    expect(erin.map((event) => [event.type, event.metadata.via ?? 'none'])).toEqual([
      ['UserAdded', viaTheCli],
      ['UserRoleChanged', 'none'],
    ]);
    const users = await ledger.as('auditor').get('/users').expect(200);
    const changes = users.body.users.find((user: { userId: string }) => user.userId === 'erin').changes;
    expect(changes.map((change: { by: unknown }) => change.by)).toEqual([
      { id: 'admin', role: 'admin', via: viaTheCli },
      { id: 'admin', role: 'admin' },
    ]);
  });

  it('refuses a bad role or a duplicate user with one clear line and a non-zero exit', async () => {
    const badRole = await cli(ledger.dataDir, 'add-user', 'dave', '--role', 'superuser', '--as', 'admin');
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toMatch(/role must be one of finance_officer, auditor, bureau_staff, admin/);
    const duplicate = await cli(ledger.dataDir, 'add-user', 'officer', '--role', 'auditor', '--as', 'admin');
    expect(duplicate).toMatchObject({ code: 1, stderr: expect.stringMatching(/user "officer" already exists/) });
  });
});

/**
 * Whoever runs a CLI command that appends names themselves with `--as <userId>`: a user of the
 * ledger whose current role may do that work, by the same matrix as the API. The CLI never makes
 * an actor up.
 */
describe('the actor of a CLI command that appends', () => {
  let ledger: LedgerUnderTest;
  let list: string;
  let revocable: string;
  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
    list = join(ledger.dataDir, 'list.csv');
    writeCsv(list, Array.from({ length: 3 }, (_, i) => paymentRow(i)));
    const access = ledger.app.get(AccessControl);
    const write = writeContextFor({ id: 'test-setup', role: 'admin' }, 'test-setup');
    await access.execute({ type: 'AddUser', data: { userId: 'leaver', displayName: 'Left', role: 'finance_officer' } }, write);
    await access.execute({ type: 'DisableUser', data: { userId: 'leaver', reason: 'left the office' } }, write);
    await access.execute({ type: 'AddUser', data: { userId: 'moved', displayName: 'Moved to audit', role: 'finance_officer' } }, write);
    await access.execute({ type: 'ChangeUserRole', data: { userId: 'moved', role: 'auditor' } }, write);
    revocable = (await access.issueToken('auditor', write)).tokenId;
    // A demo ledger, so that seed-demo reaches its actor check (a real ledger it refuses before that).
    await markDemoLedger(ledger.app.get(WritePipeline));
  });
  afterAll(async () => {
    await ledger.stop();
  });

  it.each([
    ['import --commit without --as', () => ['import', list, '--commit'], /import --commit records who did it: name yourself with --as <userId>/],
    ['import --commit as a bureau_staff user', () => ['import', list, '--commit', '--as', 'bureau'], /user "bureau" has role bureau_staff: import --commit needs finance_officer/],
    ['import --commit as no such user', () => ['import', list, '--commit', '--as', 'nobody'], /no user "nobody"/],
    ['import --commit as an admin', () => ['import', list, '--commit', '--as', 'admin'], /has role admin: import --commit needs finance_officer/],
    ['import --commit as a disabled user', () => ['import', list, '--commit', '--as', 'leaver'], /user "leaver" is disabled/],
    ['import --commit as a user whose role changed', () => ['import', list, '--commit', '--as', 'moved'], /has role auditor/],
    ['add-user without --as', () => ['add-user', 'dave', '--role', 'auditor'], /add-user records who did it/],
    ['add-user as a finance officer', () => ['add-user', 'dave', '--role', 'auditor', '--as', 'officer'], /add-user needs admin/],
    ['change-role as bureau staff', () => ['change-role', 'bureau', 'auditor', '--as', 'bureau'], /change-role needs admin/],
    ['change-role of the last enabled admin, by itself', () => ['change-role', 'admin', 'auditor', '--as', 'admin'], /^error: user "admin" is the last enabled admin: add another admin first/],
    ['issue-token as an auditor', () => ['issue-token', 'bureau', '--as', 'auditor'], /issue-token needs admin/],
    ['revoke-token as no such user', () => ['revoke-token', revocable, '--reason', 'x', '--as', 'nobody'], /no user "nobody"/],
    ['seed-demo as bureau staff', () => ['seed-demo', '--as', 'bureau'], /seed-demo needs finance_officer/],
  ])('refuses %s with one line, appending nothing', async (_what, args, message) => {
    const before = await ledger.logPosition();
    const result = await cli(ledger.dataDir, ...args());
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 1, stderr: expect.stringMatching(message) });
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(await ledger.logPosition()).toBe(before);
  });

  it('checks a list without --as (a dry run appends nothing)', async () => {
    const before = await ledger.logPosition();
    expect(await cli(ledger.dataDir, 'import', list)).toMatchObject({ code: 0, stderr: expect.stringMatching(/3 rows checked/) });
    expect(await ledger.logPosition()).toBe(before);
  });

  it('records the named officer, with their role, as the actor of an import', async () => {
    expect(await cli(ledger.dataDir, 'import', list, '--commit', '--as', 'officer')).toMatchObject({ code: 0 });
    // Filed by the CLI under an opaque key in the key store it shares with the service, which finds it by the ID.
    const history = await ledger.as('auditor').get(`/beneficiaries/${residentId(0, 2011)}/history`).expect(200);
    expect(isStudentKey(history.body.studentKey)).toBe(true);
    expect(history.body.events.map((event: { actor: unknown }) => event.actor)).toEqual([{ id: 'officer', role: 'finance_officer', via: viaTheCli }]);
    // Every event of the batch, its own PaymentListImported included, says so in its metadata.
    const exported = (await ledger.as('auditor').get('/audit/export').buffer(true)).text.trim().split('\n').map((line) => JSON.parse(line));
    const batch = exported.filter((line) => line.metadata?.importBatch);
    expect(batch.map((line) => line.type)).toEqual(expect.arrayContaining(['DisbursementRecorded', 'PaymentListImported']));
    expect(batch.map((line) => line.metadata.via)).toEqual(batch.map(() => viaTheCli));
  });
});

describe('the CLI on a ledger with no users yet', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-cli-first-'));
  // The empty ledger the service makes at its first start (the CLI makes none).
  beforeAll(() => new SqliteEventStore({ path: join(dataDir, 'ledger.sqlite') }).close());
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses anyone but the first admin, and appends nothing', async () => {
    expect(await cli(dataDir, 'add-user', 'alice', '--role', 'finance_officer', '--as', 'alice')).toMatchObject({ code: 1, stderr: expect.stringMatching(/no user "alice"/) });
    expect(existsSync(join(dataDir, 'first-run-admin.token'))).toBe(false);
  });

  it('makes the first admin as the service does at its first start, then acts as it', async () => {
    const added = await cli(dataDir, 'add-user', 'alice', '--role', 'finance_officer', '--name', 'Alice (finance)', '--as', 'admin');
    expect(added).toMatchObject({ code: 0, stderr: expect.stringMatching(/created user "admin".*first-run-admin\.token/) });
    expect(existsSync(join(dataDir, 'first-run-admin.token'))).toBe(true);
    const listed = await cli(dataDir, 'list');
    expect(listed.stdout).toMatch(/admin\s+admin[\s\S]*alice\s+finance_officer/);
    // The first admin, its token and alice: all made on the command line, and recorded so.
    const store = new SqliteEventStore({ path: join(dataDir, 'ledger.sqlite'), readonly: true });
    try {
      const events = await store.readStream('access-control');
      expect(events.map((event) => [event.type, event.metadata.actor?.id, event.metadata.via])).toEqual([
        ['UserAdded', 'system:first-run', viaTheCli],
        ['TokenIssued', 'system:first-run', viaTheCli],
        ['UserAdded', 'admin', viaTheCli],
      ]);
    } finally {
      store.close();
    }
  });
});

describe('seeding the demo ledger', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-cli-demo-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("records the demo as its own user, added by the ledger's first admin, never as a made-up actor", async () => {
    const seeded = await cli(dataDir, 'seed-demo');
    expect(seeded).toMatchObject({ code: 0, stderr: expect.stringMatching(/created user "admin"[\s\S]*56723 commands, 56723 recorded/) });
    const ledger = await LedgerUnderTest.reopen(dataDir, {} as never);
    try {
      const access = ledger.app.get(AccessControl);
      const users = await access.listUsers();
      const seeder = users.find((user) => user.userId === 'demo-seeder')!;
      expect({ role: seeder.role, addedBy: seeder.changes[0].by }).toEqual({ role: 'finance_officer', addedBy: expect.objectContaining({ id: 'admin', role: 'admin' }) });
      const setup = writeContextFor({ id: 'test-setup', role: 'admin' }, 'test');
      await access.execute({ type: 'AddUser', data: { userId: 'checker', displayName: 'Checker', role: 'auditor' } }, setup);
      const auditor = (await access.issueToken('checker', setup)).token;
      const history = await ledger.as({ token: auditor }).get(`/disbursements/demo-pre-0`).expect(200);
      expect(isStudentKey(history.body.beneficiaryKey)).toBe(true);
      const events = await ledger.as({ token: auditor }).get(`/beneficiaries/${history.body.beneficiaryKey}/history`).expect(200);
      expect(events.body.events[0].actor).toEqual({ id: 'demo-seeder', role: 'finance_officer', via: viaTheCli });
      // The identity index the CLI wrote is the service's: the student's ID leads the service to the same record.
      const byId = await ledger.as({ token: auditor }).get(`/beneficiaries/${history.body.student.residentId}/history`).expect(200);
      expect(byId.body.studentKey).toBe(history.body.beneficiaryKey);
      const marker = await ledger.app.get<EventStore>(EVENT_STORE).readStream('demo-ledger');
      expect(marker.map((event) => event.metadata.via)).toEqual([viaTheCli]);
    } finally {
      await ledger.close();
    }
    // The seeding gives 49,530 students their keys, each in a durable transaction of the key store of its own
    // (about 100 s on an idle machine, 6 s before the key store): the time budget is that, on a busy one.
  }, 420_000);
});

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { financeOfficerToken, spawnService, untilHealthy } from './support/service-process';
import { paymentRow, writeCsv } from './support/payment-lists';
import { boardingPayment } from './support/students';

const run = promisify(execFile);

/**
 * The CLI never makes a ledger by accident: a command run with the wrong LEDGER_DATA_DIR, or from
 * another directory, says there is no ledger there (one line, exit 1) and creates nothing; the
 * commands that only read open the ledger read-only and leave its files as they were.
 */
describe('the CLI on a missing ledger, and its read-only commands', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-cli-read-only-'));
  const list = join(dir, 'list.csv');
  writeCsv(list, [paymentRow(0), paymentRow(1)]);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cli = async (options: { dataDir?: string; cwd?: string }, ...args: string[]) => {
    const env: Record<string, string | undefined> = { ...process.env, LEDGER_DATA_DIR: options.dataDir };
    if (!options.dataDir) delete env.LEDGER_DATA_DIR;
    try {
      const { stdout, stderr } = await run(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), join(__dirname, '../apps/ledger-cli/src/main.ts'), ...args], { env, cwd: options.cwd ?? dir });
      return { args: args[0], code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { args: args[0], code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };

  it('refuses every command that needs the ledger, in one line naming its path, and creates nothing', async () => {
    const absent = join(dir, 'absent');
    const out = (name: string) => join(dir, `out-${name}`);
    const commands = [
      ['verify'],
      ['replay', '--fiscal-year', '2022'],
      ['anomalies', '--csv', out('anomalies.csv')],
      ['export', '--out', out('ledger.ndjson')],
      ['reconcile'],
      ['list'],
      ['backup', out('backup.sqlite')],
      ['import', list],
      // Write commands too: a user or a payment list recorded into a new, stray ledger would be lost.
      ['add-user', 'alice', '--role', 'auditor'],
      ['import', list, '--commit'],
    ];
    const results = await Promise.all(commands.map((args) => cli({ dataDir: absent }, ...args)));
    for (const result of results) {
      expect(result).toMatchObject({ code: 1, stdout: '' });
      expect({ command: result.args, stderr: result.stderr.trim().split('\n') }).toEqual({ command: result.args, stderr: [expect.stringMatching(`^error: no ledger at ${join(absent, 'ledger.sqlite')}`)] });
    }
    expect(existsSync(absent)).toBe(false);
    expect(readdirSync(dir).filter((name) => name.startsWith('out-'))).toEqual([]);

    // From another directory, without LEDGER_DATA_DIR: ./data/ledger.sqlite is not there, and stays not there.
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    const verified = await cli({ cwd: elsewhere }, 'verify');
    expect(verified).toMatchObject({ code: 1, stderr: expect.stringMatching(`^error: no ledger at ${join(elsewhere, 'data', 'ledger.sqlite')}`) });
    expect(readdirSync(elsewhere)).toEqual([]);

    // A bad setting stops the CLI as it stops the service: one line, not a stack trace.
    const misspelt = await run(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), join(__dirname, '../apps/ledger-cli/src/main.ts'), 'list'], { env: { ...process.env, LEDGER_DATADIR: absent }, cwd: elsewhere }).catch((error) => error as { code: number; stderr: string });
    expect(misspelt).toMatchObject({ code: 1, stderr: 'error: invalid setting LEDGER_DATADIR: unknown setting (did you mean LEDGER_DATA_DIR?); the settings are listed in the README\n' });

    // Checking a proof needs no ledger at all, and opens none.
    const help = await cli({ dataDir: absent }, 'check-inclusion', '--help');
    expect(help).toMatchObject({ code: 0, stdout: expect.stringMatching(/--proof/) });
    expect(existsSync(absent)).toBe(false);
  });

  it('reads the files of a service killed with SIGKILL without writing a byte of them', async () => {
    // A hot WAL: a reader that opened the ledger for writing would checkpoint it into ledger.sqlite
    // and delete it when it closed; a read-only reader leaves both as the service left them.
    const dataDir = join(dir, 'killed');
    const service = spawnService({ LEDGER_DATA_DIR: dataDir, LEDGER_DIGEST_EVERY: '2' });
    await untilHealthy(service);
    const token = await financeOfficerToken(service, dataDir);
    for (let i = 0; i < 3; i++) await request(service.base).post('/disbursements').set('Authorization', `Bearer ${token}`).send(boardingPayment(700 + i)).expect(201);
    service.child.kill('SIGKILL');
    await service.exited;
    // Every file of the data directory, the key store under keys/ too (its identity index, the key-encryption key).
    // -shm is SQLite's shared-memory index, which readers also write: not data, left out.
    const files = () =>
      new Map(
        (readdirSync(dataDir, { recursive: true }) as string[])
          .filter((name) => !name.endsWith('-shm') && statSync(join(dataDir, name)).isFile())
          .map((name) => [name, createHash('sha256').update(readFileSync(join(dataDir, name))).digest('hex')]),
      );
    const before = files();
    expect(before.has('ledger.sqlite-wal')).toBe(true);
    expect(before.has(join('keys', 'student-keys.sqlite'))).toBe(true);
    expect(before.has(join('keys', 'key-encryption.key'))).toBe(true);

    const out = mkdtempSync(join(tmpdir(), 'ledger-cli-out-'));
    const results = await Promise.all(
      [
        ['verify'],
        ['replay', '--fiscal-year', '2022'],
        ['anomalies', '--csv', join(out, 'anomalies.csv')],
        ['export', '--out', join(out, 'ledger.ndjson')],
        ['reconcile'],
        ['list'],
        ['backup', join(out, 'backup.sqlite')],
        ['import', list],
      ].map((args) => cli({ dataDir }, ...args)),
    );
    for (const result of results) expect({ command: result.args, code: result.code, stderr: result.code ? result.stderr : '' }).toEqual({ command: result.args, code: 0, stderr: '' });
    expect(results.find((result) => result.args === 'verify')!.stdout).toMatch(/"ok": true/);
    rmSync(out, { recursive: true, force: true });

    // Every file as it was, and no new one.
    expect(files()).toEqual(before);
  });
});

import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LedgerUnderTest } from './support/ledger-app';
import { paymentRow, writeCsv } from './support/payment-lists';
import { boardingPayment } from './support/students';

const run = promisify(execFile);
const root = join(__dirname, '..');

/**
 * `cd lists && npm run cli -- import 名单.xlsx`: npm runs the script at the package root and says
 * where the user was in INIT_CWD. The CLI's files — arguments and options — are the user's, relative
 * to that directory; the settings (LEDGER_DATA_DIR) stay relative to where the process runs, the
 * package root under npm, so that every npm script finds the same ledger. The CLI is started here as
 * npm starts it: in the package root, with npm's variables.
 */
describe('the CLI run through npm from another directory', () => {
  let ledger: LedgerUnderTest;
  const lists = mkdtempSync(join(tmpdir(), 'ledger-lists-'));
  const elsewhere = mkdtempSync(join(tmpdir(), 'ledger-elsewhere-'));

  /** The CLI as `npm run cli` starts it from `userDirectory` (or, with `lifecycle`, as another npm script's child). */
  const cli = async (userDirectory: string, args: string[], env: Record<string, string> = {}, lifecycle = 'cli', cwd = root) => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), join(__dirname, '../apps/ledger-cli/src/main.ts'), ...args], {
        cwd,
        env: { ...process.env, LEDGER_DATA_DIR: ledger.dataDir, npm_lifecycle_event: lifecycle, INIT_CWD: userDirectory, ...env },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
  /** The lines a command wrote to stderr, without its progress bar. */
  const errorLines = (stderr: string) =>
    stderr
      .split(/\r?\n|\r/)
      .map((line) => line.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').trim())
      .filter((line) => line !== '' && !/\[[█░ ]*\]/.test(line));

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
    await ledger.http.post('/disbursements').send(boardingPayment(4100)).expect(201);
    writeFileSync(join(lists, 'public-key.txt'), (await ledger.as('auditor').get('/audit/public-key').expect(200)).body.publicKey);
    copyFileSync(ledger.settings.signingKeyFile, join(lists, 'signing-key.pem'));
    await ledger.close();
    writeCsv(join(lists, '2022年秋季发放名单.csv'), [paymentRow(0, 4200), paymentRow(1, 4200)]);
  });
  afterAll(async () => {
    await ledger.stop();
    for (const dir of [lists, elsewhere]) rmSync(dir, { recursive: true, force: true });
  });

  it('reads and writes the files it is given in the directory the user is in, not the package root', async () => {
    const before = readdirSync(root);
    const imported = await cli(lists, ['import', '2022年秋季发放名单.csv', '--problems', 'problems.csv']);
    expect({ code: imported.code, stderr: errorLines(imported.stderr) }).toEqual({ code: 0, stderr: [expect.stringMatching(/^2 rows checked/)] });
    expect(existsSync(join(lists, 'problems.csv'))).toBe(true);

    expect((await cli(lists, ['reconcile', '--csv', 'reconciliation.csv', '--xlsx', 'reconciliation.xlsx'])).code).toBe(0);
    expect((await cli(lists, ['anomalies', '--csv', 'anomalies.csv'])).code).toBe(0);
    expect((await cli(lists, ['export', '--out', 'ledger.ndjson'])).code).toBe(0);
    const verified = await cli(lists, ['verify', '--public-key', 'public-key.txt']);
    expect({ code: verified.code, checkedAgainst: JSON.parse(verified.stdout).signaturesCheckedAgainst }).toMatchObject({ code: 0, checkedAgainst: { source: expect.stringMatching(/--public-key/) } });
    expect((await cli(lists, ['backup', 'backup.sqlite'])).code).toBe(0);
    for (const file of ['reconciliation.csv', 'reconciliation.xlsx', 'anomalies.csv', 'ledger.ndjson', 'backup.sqlite']) expect({ file, written: existsSync(join(lists, file)) }).toEqual({ file, written: true });

    const restoredDir = join(elsewhere, 'restored');
    const restored = await cli(lists, ['restore', 'backup.sqlite', '--signing-key', 'signing-key.pem'], { LEDGER_DATA_DIR: restoredDir });
    expect({ code: restored.code, ok: JSON.parse(restored.stdout).ok }).toEqual({ code: 0, ok: true });
    expect(readdirSync(root)).toEqual(before); // nothing landed in the package root
    // The key store is a setting's, beside the ledger it was opened with: not in the user's directory.
    expect(existsSync(join(ledger.dataDir, 'keys', 'student-keys.sqlite'))).toBe(true);
    expect(readdirSync(lists)).not.toContain('keys');
  });

  it('names the full path of a file it cannot read', async () => {
    const missing = await cli(lists, ['import', 'no-such-list.xlsx']);
    expect({ code: missing.code, stderr: errorLines(missing.stderr) }).toEqual({ code: 1, stderr: [`error: ${join(lists, 'no-such-list.xlsx')}: no such file or directory`] });
    const proof = await cli(lists, ['check-inclusion', '--proof', 'proof.json', '--digest', 'digest.json']);
    expect({ code: proof.code, stderr: errorLines(proof.stderr) }).toEqual({ code: 1, stderr: [`error: cannot read ${join(lists, 'proof.json')}: no such file`] });
  });

  it('started by another npm script (a child of npm test), resolves against its own working directory', async () => {
    mkdirSync(join(elsewhere, 'cwd'), { recursive: true });
    writeCsv(join(elsewhere, 'cwd', 'list.csv'), [paymentRow(0, 4300)]);
    const imported = await cli(lists, ['import', 'list.csv'], {}, 'test', join(elsewhere, 'cwd'));
    expect(imported.code).toBe(0);
    const missing = await cli(lists, ['import', '2022年秋季发放名单.csv'], {}, 'test', join(elsewhere, 'cwd'));
    expect(errorLines(missing.stderr)).toEqual([`error: ${join(elsewhere, 'cwd', '2022年秋季发放名单.csv')}: no such file or directory`]);
  });

  it('keeps LEDGER_DATA_DIR relative to the package root, where npm start keeps its ledger', async () => {
    const listed = await cli(lists, ['list'], { LEDGER_DATA_DIR: 'no-ledger-here' });
    expect({ code: listed.code, stderr: errorLines(listed.stderr) }).toEqual({ code: 1, stderr: [expect.stringContaining(`error: no ledger at ${join(root, 'no-ledger-here', 'ledger.sqlite')}`)] });
    expect(existsSync(join(root, 'no-ledger-here')) || existsSync(join(lists, 'no-ledger-here'))).toBe(false);
  });
});

import Database from 'better-sqlite3';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment } from './support/students';

const run = promisify(execFile);

/**
 * The CLI's read-only commands on a data directory nobody may write to (a read-only mount: an
 * auditor's copy, a snapshot). SQLite reads a WAL database by writing `-shm` beside it, which such a
 * directory forbids: the commands work when everything is in the file, and otherwise say in one
 * line why they cannot and what to do. The directory is made read-only for real: a read-only bind
 * mount when this process may mount, else mode 0555 with the CLI run as `nobody` (root ignores modes).
 */
describe('the CLI on a read-only data directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-cli-ro-dir-'));
  const out = join(dir, 'out');
  let ledger: LedgerUnderTest;
  const undo: Array<() => void> = [];
  let uid: number | undefined;

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start({ LEDGER_DIGEST_EVERY: '4' });
    for (let i = 0; i < 10; i++) await ledger.http.post('/disbursements').send(boardingPayment(500 + i)).expect(201);
    await ledger.close();
    mkdirSync(out);
    if (process.getuid?.() === 0) {
      try {
        const probe = mkdtempSync(join(dir, 'probe-'));
        execFileSync('mount', ['--bind', probe, probe], { stdio: 'pipe' });
        execFileSync('umount', [probe], { stdio: 'pipe' });
      } catch {
        uid = 65534; // nobody: file modes bind it
        chmodSync(dir, 0o755);
        chownSync(out, uid, uid);
      }
    }
  });
  afterAll(async () => {
    for (const step of undo.reverse()) step();
    await ledger.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A copy of the ledger's files (`files`: name → where from), in a directory made read-only. */
  function readOnlyCopy(name: string, files: Record<string, string>): string {
    const copy = join(dir, name);
    mkdirSync(copy);
    for (const [file, from] of Object.entries(files)) copyFileSync(from, join(copy, file));
    if (uid === undefined && process.getuid?.() === 0) {
      execFileSync('mount', ['--bind', copy, copy], { stdio: 'pipe' });
      execFileSync('mount', ['-o', 'remount,ro,bind', copy], { stdio: 'pipe' });
      undo.push(() => execFileSync('umount', [copy]));
    } else {
      for (const file of readdirSync(copy)) {
        if (uid !== undefined) chownSync(join(copy, file), uid, uid);
        chmodSync(join(copy, file), 0o444);
      }
      if (uid !== undefined) chownSync(copy, uid, uid);
      chmodSync(copy, 0o555);
      undo.push(() => chmodSync(copy, 0o755));
    }
    return copy;
  }

  const cli = async (dataDir: string, ...args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), join(__dirname, '../apps/ledger-cli/src/main.ts'), ...args], {
        env: { ...process.env, LEDGER_DATA_DIR: dataDir },
        ...(uid !== undefined && { uid, gid: uid }),
      });
      return { command: args[0], code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { command: args[0], code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
  const filesOf = (dataDir: string) => readdirSync(dataDir).map((file) => `${file}:${statSync(join(dataDir, file)).size}`).sort();

  it('verifies, lists, exports and backs up a ledger whose files are whole (the service stopped cleanly)', async () => {
    const names = readdirSync(ledger.dataDir).filter((file) => /^(ledger|read-models)\.sqlite$|signing-key\.pem/.test(file));
    expect(names.sort()).toEqual(['ledger.sqlite', 'read-models.sqlite', 'signing-key.pem']); // no WAL left behind
    const copy = readOnlyCopy('stopped', Object.fromEntries(names.map((file) => [file, join(ledger.dataDir, file)])));
    const before = filesOf(copy);
    const results = [
      await cli(copy, 'verify'),
      await cli(copy, 'list'),
      await cli(copy, 'export', '--out', join(out, 'ledger.ndjson')),
      await cli(copy, 'backup', join(out, 'backup.sqlite')),
    ];
    for (const result of results) expect({ command: result.command, code: result.code, stderr: result.code ? result.stderr : '' }).toEqual({ command: result.command, code: 0, stderr: '' });
    expect(JSON.parse(results[0].stdout)).toMatchObject({ ok: true, signaturesCheckedAgainst: { source: 'the local signing key' } });
    expect(results[3].stdout).toMatch(/backed up \d+ events/);
    expect(filesOf(copy)).toEqual(before);
  });

  it('reads a write-ahead log left beside the file with its index (a service killed, then the directory made read-only)', async () => {
    const copy = readOnlyCopy('killed', hotCopy('killed-source', true));
    const verified = await cli(copy, 'verify');
    expect({ code: verified.code, stderr: verified.code ? verified.stderr : '' }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true });
  });

  it('says in one line why it cannot read a write-ahead log left without its index, and what to do', async () => {
    const copy = readOnlyCopy('copied-hot', hotCopy('hot-source', false));
    for (const args of [['verify'], ['list'], ['backup', join(out, 'hot-backup.sqlite')]]) {
      const result = await cli(copy, ...args);
      expect({ command: args[0], code: result.code, stdout: result.stdout, lines: result.stderr.trim().split('\n') }).toEqual({
        command: args[0],
        code: 1,
        stdout: '',
        lines: [expect.stringMatching(new RegExp(`^error: cannot read ${join(copy, 'ledger.sqlite')} in a read-only directory: its write-ahead log .*ledger\\.sqlite-wal.* holds changes .*copy the data directory somewhere writable`))],
      });
    }
  });

  /**
   * The ledger's files with its log's latest changes still in the write-ahead log, as a file copy
   * taken while a writer had them open leaves them (with the `-shm` index, or without).
   */
  function hotCopy(name: string, withIndex: boolean): Record<string, string> {
    const source = join(dir, name);
    cpSync(ledger.dataDir, source, { recursive: true });
    const db = new Database(join(source, 'ledger.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE scratch (x); INSERT INTO scratch VALUES (1)');
    expect(statSync(join(source, 'ledger.sqlite-wal')).size).toBeGreaterThan(0);
    const files: Record<string, string> = {};
    for (const file of ['ledger.sqlite', 'ledger.sqlite-wal', ...(withIndex ? ['ledger.sqlite-shm'] : []), 'read-models.sqlite', 'signing-key.pem']) {
      const kept = join(dir, `${name}-${file}`);
      copyFileSync(join(source, file), kept);
      files[file] = kept;
    }
    db.close();
    return files;
  }
});

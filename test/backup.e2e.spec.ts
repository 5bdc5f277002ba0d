import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment } from './support/students';

const run = promisify(execFile);

/** A backup taken with the CLI while the service writes, restored into an empty directory and checked. */
describe('backup and restore while the service writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-backup-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (dataDir: string, ...args: string[]) =>
    run(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), join(__dirname, '../apps/ledger-cli/src/main.ts'), ...args], { env: { ...process.env, LEDGER_DATA_DIR: dataDir } });

  it('holds every write acknowledged before the backup began, and verifies clean', async () => {
    const ledger = await LedgerUnderTest.start({ LEDGER_RATE_LIMIT: '0' });
    const acknowledged: string[] = [];
    let running = true;
    let next = 0;
    const load = Array.from({ length: 8 }, async () => {
      while (running) {
        const id = `backup-${next++}`;
        const response = await ledger.http.post('/disbursements').send(boardingPayment(30_000 + next, { disbursementId: id }));
        if (response.status === 201) acknowledged.push(id);
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 700));
    const beforeBackup = [...acknowledged];
    const file = join(dir, 'ledger-backup.sqlite');
    const backedUp = await cli(ledger.dataDir, 'backup', file);
    running = false;
    await Promise.all(load);
    expect(backedUp.stdout).toMatch(/backed up \d+ events/);
    expect(beforeBackup.length).toBeGreaterThan(20);
    expect(acknowledged.length).toBeGreaterThan(beforeBackup.length); // the load went on during the backup

    const restoredDir = join(dir, 'restored');
    const restored = await cli(restoredDir, 'restore', file);
    expect(JSON.parse(restored.stdout)).toMatchObject({ ok: true });
    const db = new Database(join(restoredDir, 'ledger.sqlite'), { readonly: true });
    const ids = new Set(db.prepare("SELECT json_extract(data, '$.disbursementId') FROM events WHERE type = 'DisbursementRecorded'").pluck().all());
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    expect(beforeBackup.filter((id) => !ids.has(id))).toEqual([]);
    await expect(cli(restoredDir, 'restore', file)).rejects.toMatchObject({ stderr: expect.stringMatching(/holds \d+ events: restore only into an empty data directory/) });
    await ledger.stop();
  });
});

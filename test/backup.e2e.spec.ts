import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
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

  /** The CLI's exit code and output (a non-zero exit is an answer here, not a failure). */
  const cliResult = async (dataDir: string, ...args: string[]) => {
    try {
      const { stdout, stderr } = await cli(dataDir, ...args);
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };

  describe('the signing key', () => {
    let ledger: LedgerUnderTest;
    let keyId: string;
    const file = join(dir, 'keyed-backup.sqlite');

    beforeAll(async () => {
      ledger = await LedgerUnderTest.start({ LEDGER_DIGEST_EVERY: '5' });
      for (let i = 0; i < 12; i++) await ledger.http.post('/disbursements').send(boardingPayment(40_000 + i)).expect(201);
      keyId = (await ledger.as('admin').post('/audit/digests').expect(200)).body.digest.keyId;
      await ledger.close();
      await cli(ledger.dataDir, 'backup', file);
    });
    afterAll(() => rmSync(ledger.dataDir, { recursive: true, force: true }));

    it('is restored with the log: the restored ledger verifies, and the service goes on signing valid digests', async () => {
      const restoredDir = join(dir, 'restored-with-key');
      const restored = await cliResult(restoredDir, 'restore', file, '--signing-key', join(ledger.dataDir, 'signing-key.pem'));
      expect(restored.code).toBe(0);
      expect(JSON.parse(restored.stdout)).toMatchObject({ ok: true, signingKey: { restored: true, keyId } });

      const verified = await cliResult(restoredDir, 'verify');
      expect(verified.code).toBe(0);
      expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, signaturesCheckedAgainst: { keyId, source: 'the local signing key' } });

      const service = await LedgerUnderTest.reopen(restoredDir, ledger.tokens, { LEDGER_DIGEST_EVERY: '5' });
      for (let i = 0; i < 6; i++) await service.http.post('/disbursements').send(boardingPayment(41_000 + i)).expect(201);
      const signed = await service.as('admin').post('/audit/digests').expect(200);
      expect(signed.body.digest.keyId).toBe(keyId);
      await service.close();
      const again = await cliResult(restoredDir, 'verify');
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout).digestsChecked).toBeGreaterThan(JSON.parse(verified.stdout).digestsChecked);
    });

    it('restores nothing from a copy that does not verify: no log, no key, nothing left behind, and a retry with a sound copy works', async () => {
      const damaged = join(dir, 'damaged-backup.sqlite');
      copyFileSync(file, damaged);
      const db = new Database(damaged);
      db.exec('DROP TRIGGER events_refuse_update');
      const changed = db.prepare("SELECT MIN(position) FROM events WHERE type = 'DisbursementRecorded'").pluck().get() as number;
      db.prepare("UPDATE events SET data = replace(data, '\"500.00\"', '\"5000.00\"') WHERE position = ?").run(changed);
      db.close();
      const restoredDir = join(dir, 'restored-from-damaged');
      const keyFile = join(ledger.dataDir, 'signing-key.pem');
      const restored = await cliResult(restoredDir, 'restore', damaged, '--signing-key', keyFile);
      expect(restored.code).toBe(1);
      expect(JSON.parse(restored.stdout)).toMatchObject({ ok: false, restored: false, firstProblem: { kind: 'content_changed', position: String(changed) }, signingKey: { restored: false } });
      expect(restored.stderr).toMatch(new RegExp(`nothing restored: the copy does not verify \\(content_changed at position ${changed}`));
      expect(existsSync(restoredDir) ? readdirSync(restoredDir) : []).toEqual([]);

      const retried = await cliResult(restoredDir, 'restore', file, '--signing-key', keyFile);
      expect(retried.code).toBe(0);
      expect(JSON.parse(retried.stdout)).toMatchObject({ ok: true, restored: true, signingKey: { restored: true, keyId } });
      expect(readdirSync(restoredDir).sort()).toEqual(['ledger.sqlite', 'signing-key.pem']);
    });

    it('backs up into one self-contained file, and refuses a directory that does not exist, naming it', async () => {
      const target = join(dir, 'one-file');
      mkdirSync(target);
      const backedUp = await cliResult(ledger.dataDir, 'backup', join(target, 'ledger.sqlite'));
      expect(backedUp).toMatchObject({ code: 0, stdout: expect.stringMatching(/backed up \d+ events/) });
      expect(readdirSync(target)).toEqual(['ledger.sqlite']);
      // Not in WAL mode (file format bytes 18-19: 1 = rollback journal): the file is the whole copy, whatever is next to it.
      expect([...readFileSync(join(target, 'ledger.sqlite')).subarray(18, 20)]).toEqual([1, 1]);

      const missing = join(dir, 'no-such-directory');
      const refused = await cliResult(ledger.dataDir, 'backup', join(missing, 'ledger.sqlite'));
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^error: the directory ${missing} does not exist`))]);
      expect(existsSync(missing)).toBe(false);
    });

    it('refuses a key that did not sign the log’s digests', async () => {
      const other = await LedgerUnderTest.start();
      const restoredDir = join(dir, 'restored-with-another-key');
      const restored = await cliResult(restoredDir, 'restore', file, '--signing-key', join(other.dataDir, 'signing-key.pem'));
      await other.stop();
      expect(restored.code).toBe(1);
      expect(restored.stderr).toMatch(new RegExp(`did not sign the log’s digests \\(signed by key ${keyId}\\)`));
      expect(existsSync(join(restoredDir, 'signing-key.pem'))).toBe(false);
    });

    it('left behind: verify makes no key and says it trusted none; the service signs nothing, says why, and signs again once the key is back', async () => {
      const restoredDir = join(dir, 'restored-without-key');
      const restored = await cliResult(restoredDir, 'restore', file);
      expect(restored.code).toBe(0);
      expect(JSON.parse(restored.stdout)).toMatchObject({ ok: true, signingKey: { restored: false, keyId } });
      expect(restored.stderr).toMatch(/signing key/);

      const verified = await cliResult(restoredDir, 'verify');
      expect(verified.code).toBe(0);
      expect(verified.stderr).toMatch(/not a trusted key/);
      expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, signaturesCheckedAgainst: { source: 'the key each digest names (not a trusted key)' } });
      expect(existsSync(join(restoredDir, 'signing-key.pem'))).toBe(false);

      const lines: string[] = [];
      const service = await LedgerUnderTest.reopen(restoredDir, ledger.tokens, {}, { logDestination: { write: (line: string) => void lines.push(line) } });
      expect(lines.filter((line) => line.includes(`signed by key ${keyId}`))).toHaveLength(1);
      expect(existsSync(join(restoredDir, 'signing-key.pem'))).toBe(false);
      const health = await service.as('anonymous').get('/health').expect(200);
      expect(health.body.integrity.signing).toMatchObject({ state: 'refused', reason: expect.stringMatching(/no signing key/) });
      const refused = await service.as('admin').post('/audit/digests').expect(503);
      expect(refused.body).toMatchObject({ code: 'SIGNING_KEY_MISSING' });
      await service.as('auditor').get('/audit/public-key').expect(503);
      await service.close();

      copyFileSync(join(ledger.dataDir, 'signing-key.pem'), join(restoredDir, 'signing-key.pem'));
      const keyed = await LedgerUnderTest.reopen(restoredDir, ledger.tokens);
      await keyed.http.post('/disbursements').send(boardingPayment(42_000)).expect(201);
      expect((await keyed.as('admin').post('/audit/digests').expect(200)).body.digest.keyId).toBe(keyId);
      await keyed.close();
      expect((await cliResult(restoredDir, 'verify')).code).toBe(0);
    });
  });
});

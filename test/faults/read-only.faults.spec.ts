import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerUnderTest, sqliteConnectionOf } from '../support/ledger-app';
import { spawnService } from '../support/service-process';
import { boardingPayment } from '../support/students';

/**
 * A read-only data directory. Two cases:
 * - it turns read-only under the running service (what ext4 does when it remounts itself after an
 *   error): writes answer 503 with the cause, nothing partial is written, reads go on, writes resume.
 *   Files the service already holds open cannot be made read-only from outside the kernel, so SQLite's
 *   `query_only` stands in: it fails every write with SQLITE_READONLY, the code a read-only file gives.
 * - the service is started on a read-only directory (for real: a read-only bind mount when this
 *   process may mount, else mode 0555 with the service run as an unprivileged user, since file modes
 *   do not bind root): it refuses to start and names the setting.
 */
describe('a read-only data directory', () => {
  it('under a running service: 503 without a partial write, reads go on, writes resume', async () => {
    const ledger = await LedgerUnderTest.start();
    await ledger.http.post('/disbursements').send(boardingPayment(1)).expect(201);
    const before = await ledger.logPosition();
    const sqlite = sqliteConnectionOf(ledger.app);

    sqlite.pragma('query_only = ON');
    const refused = [];
    for (let i = 2; i < 22; i++) {
      const response = await ledger.http.post('/disbursements').send(boardingPayment(i, { disbursementId: `ro-${i}` }));
      refused.push(response.status);
      if (i === 2) {
        expect(response.headers['content-type']).toMatch(/problem\+json/);
        expect(response.body).toMatchObject({ code: 'STORE_UNAVAILABLE', detail: expect.stringMatching(/could not be written.*readonly/i) });
      }
    }
    expect(new Set(refused)).toEqual(new Set([503]));
    expect(await ledger.logPosition()).toBe(before);
    await ledger.http.get('/disbursements/ro-2').expect(404);
    await ledger.http.get('/totals').expect(200);

    sqlite.pragma('query_only = OFF');
    await ledger.http.post('/disbursements').send(boardingPayment(2, { disbursementId: 'ro-2' })).expect(201);
    expect(BigInt(await ledger.logPosition())).toBeGreaterThan(BigInt(before));
    console.log(`read-only data directory under a running service: ${refused.length} writes refused with 503, log unmoved, reads served, writes resumed`);
    await ledger.stop();
  });

  it('at start: the service refuses to start and names LEDGER_DATA_DIR', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-ro-'));
    let undo: () => void;
    let how: string;
    let uid: number | undefined;
    try {
      execFileSync('mount', ['--bind', dir, dir], { stdio: 'pipe' });
      execFileSync('mount', ['-o', 'remount,ro,bind', dir], { stdio: 'pipe' });
      undo = () => execFileSync('umount', [dir]);
      how = 'read-only bind mount';
    } catch {
      chmodSync(dir, 0o555);
      undo = () => chmodSync(dir, 0o755);
      if (process.getuid?.() === 0) uid = 65534; // nobody
      how = uid === undefined ? 'mode 0555' : 'mode 0555, service run as nobody';
    }
    try {
      const service = spawnService({ LEDGER_DATA_DIR: dir }, { uid });
      expect(await service.exited).toBe(1);
      expect(service.output()).toContain(`invalid setting LEDGER_DATA_DIR: ${dir} is not writable (E`);
      console.log(`read-only data directory at start (${how}): refused — ${service.output().trim().split('\n').pop()}`);
    } finally {
      undo();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

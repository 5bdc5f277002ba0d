import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { leafDataOf, leafHash, rootOf } from '@ledger/integrity';
import { LedgerUnderTest } from './support/ledger-app';
import { paymentRow, writeCsv } from './support/payment-lists';
import { boardingPayment } from './support/students';

const run = promisify(execFile);

/**
 * LEDGER_DIGEST_EVERY=N: a digest at every tree size that is a multiple of N, each over exactly
 * that prefix of the log — whether the events came one command at a time, as one import of
 * thousands of rows appended at once, or from the CLI while the service was stopped (signed when
 * the service starts and catches up).
 */
describe('the digest cadence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-cadence-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const EVERY = 100;

  /** Every event of the log in order: its position, whether it is a digest, its leaf hash; and the digests. */
  function readLog(dataDir: string) {
    const db = new Database(join(dataDir, 'ledger.sqlite'), { readonly: true });
    const rows = db.prepare("SELECT position, stream_id, type, data, json_extract(metadata, '$.integrity.hash') AS hash FROM events ORDER BY position").all() as Array<{ position: number; stream_id: string; type: string; data: string; hash: string }>;
    db.close();
    return {
      size: rows.length,
      leaves: rows.map((row) => leafHash(leafDataOf(row.hash))),
      positions: rows.map((row) => String(row.position)),
      isDigest: rows.map((row) => row.type === 'LogDigestSigned'),
      digests: rows.filter((row) => row.type === 'LogDigestSigned').map((row) => JSON.parse(row.data) as { treeSize: number; rootHash: string; lastPosition: string }),
    };
  }

  /** The sizes a digest is due at: every multiple of N, except a prefix that ends with a digest itself. */
  const dueSizes = (log: ReturnType<typeof readLog>) => Array.from({ length: Math.floor(log.size / EVERY) }, (_, i) => (i + 1) * EVERY).filter((size) => !log.isDigest[size - 1]);

  async function untilEveryDueDigestIsSigned(dataDir: string) {
    for (let i = 0; i < 200; i++) {
      const log = readLog(dataDir);
      const signed = new Set(log.digests.map((digest) => digest.treeSize));
      if (dueSizes(log).every((size) => signed.has(size))) return log;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const log = readLog(dataDir);
    throw new Error(`digests of sizes ${log.digests.map((digest) => digest.treeSize).join(',')} for a log of ${log.size} (due: ${dueSizes(log).join(',')})`);
  }

  function expectEachDigestOverExactlyItsPrefix(log: ReturnType<typeof readLog>) {
    for (const digest of log.digests) {
      expect(digest.lastPosition).toBe(log.positions[digest.treeSize - 1]);
      expect(digest.rootHash).toBe(rootOf(log.leaves.slice(0, digest.treeSize)).toString('hex'));
    }
  }

  it('signs one at every multiple of N for single commands, a large import, and a CLI import while stopped', async () => {
    const ledger = await LedgerUnderTest.start({ LEDGER_DIGEST_EVERY: String(EVERY), LEDGER_RATE_LIMIT: '0' });
    for (let i = 0; i < 150; i++) await ledger.http.post('/disbursements').send(boardingPayment(2000 + i)).expect(201);
    let log = await untilEveryDueDigestIsSigned(ledger.dataDir);
    expect(log.digests.map((digest) => digest.treeSize)).toContain(100);

    // One import of 2,500 rows: one atomic append that passes 25 multiples at once.
    const list = join(dir, 'list-1.csv');
    writeCsv(list, Array.from({ length: 2500 }, (_, i) => paymentRow(i, 10_000)));
    await ledger.http.post('/imports').query({ commit: 'true' }).attach('file', list).expect(201);
    log = await untilEveryDueDigestIsSigned(ledger.dataDir);
    expect(log.size).toBeGreaterThan(2600);
    expectEachDigestOverExactlyItsPrefix(log);
    await ledger.close();

    // 1,200 rows more from the CLI while the service is stopped: signed when it starts again.
    const second = join(dir, 'list-2.csv');
    writeCsv(second, Array.from({ length: 1200 }, (_, i) => paymentRow(i, 20_000)));
    await run(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), join(__dirname, '../apps/ledger-cli/src/main.ts'), 'import', second, '--commit', '--as', 'officer'], {
      env: { ...process.env, LEDGER_DATA_DIR: ledger.dataDir },
    });
    const stopped = readLog(ledger.dataDir);
    expect(stopped.size).toBeGreaterThan(log.size + 1200);
    const reopened = await LedgerUnderTest.reopen(ledger.dataDir, ledger.tokens, { LEDGER_DIGEST_EVERY: String(EVERY) });
    log = await untilEveryDueDigestIsSigned(ledger.dataDir);
    expectEachDigestOverExactlyItsPrefix(log);
    expect(new Set(log.digests.map((digest) => digest.treeSize)).size).toBe(log.digests.length); // one per size
    expect((await reopened.as('auditor').get('/audit/verify').expect(200)).body).toMatchObject({ ok: true });
    await reopened.stop();
  });

  it('also signs one once the log has been quiet for LEDGER_DIGEST_QUIET_MS with events no digest covers, and none over digests alone', async () => {
    const ledger = await LedgerUnderTest.start({ LEDGER_DIGEST_EVERY: '0', LEDGER_DIGEST_QUIET_MS: '300' });
    const settle = () => new Promise((resolve) => setTimeout(resolve, 1200));
    for (let i = 0; i < 3; i++) await ledger.http.post('/disbursements').send(boardingPayment(3000 + i)).expect(201);
    await settle();
    let log = readLog(ledger.dataDir);
    // The tail is signed: one digest, over every event before it; and nothing more while nothing else comes.
    expect(log.digests).toHaveLength(1);
    expect(log.digests[0].treeSize).toBe(log.size - 1);
    await settle();
    expect(readLog(ledger.dataDir).size).toBe(log.size);

    await ledger.http.post('/disbursements').send(boardingPayment(3100)).expect(201);
    await settle();
    log = readLog(ledger.dataDir);
    expect(log.digests.map((digest) => digest.treeSize)).toEqual([log.digests[0].treeSize, log.size - 1]);
    expectEachDigestOverExactlyItsPrefix(log);
    const [event] = (await ledger.as('auditor').get('/audit/digests').expect(200)).body.digests.slice(-1);
    expect(event.treeSize).toBe(log.size - 1);
    await ledger.stop();
  });
});

import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment } from './support/students';

const run = promisify(execFile);

/** seed-demo writes 56,723 synthetic commands: never into a real ledger. */
describe('seed-demo on a ledger that is not a demo', () => {
  it('refuses in one line naming the ledger, and records nothing', async () => {
    const ledger = await LedgerUnderTest.start();
    await ledger.http.post('/disbursements').send(boardingPayment(1)).expect(201);
    await ledger.close();
    const events = () => {
      const db = new Database(join(ledger.dataDir, 'ledger.sqlite'), { readonly: true });
      const count = db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
      db.close();
      return count;
    };
    const before = events();

    const seeded = await run(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), join(__dirname, '../apps/ledger-cli/src/main.ts'), 'seed-demo'], {
      env: { ...process.env, LEDGER_DATA_DIR: ledger.dataDir },
    }).then(
      ({ stderr }) => ({ code: 0, stderr }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    expect(seeded.code).toBe(1);
    expect(seeded.stderr.trim().split('\n')).toEqual([
      `error: seed-demo refused: ${join(ledger.dataDir, 'ledger.sqlite')} is not empty (${before} events) and not a demo ledger; seed an empty data directory (npm run demo uses data-demo/)`,
    ]);
    expect(events()).toBe(before);
    await ledger.stop();
  }, 120_000);
});

import Database from 'better-sqlite3';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@ledger/event-store';
import { paymentRow, writeCsv } from './support/payment-lists';

/**
 * A large import killed with SIGKILL at several moments: after each restart the batch is either
 * wholly in the ledger or not at all; the last import then completes it.
 */
describe('an import killed in the middle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-import-crash-'));
  const file = join(dir, 'list.csv');
  const ROWS = 30_000;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const importOnce = (killAfterMs?: number) =>
    new Promise<string>((resolve) => {
      const child = spawn(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), join(__dirname, '../apps/ledger-cli/src/main.ts'), 'import', file, '--commit', '--as', 'loader'], {
        env: { ...process.env, LEDGER_DATA_DIR: join(dir, 'data') },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        resolve(signal ?? `exit ${code}: ${stderr.slice(-300)}`);
      });
    });

  const paymentsInLedger = () => {
    const path = join(dir, 'data', 'ledger.sqlite');
    if (!existsSync(path)) return 0;
    const db = new Database(path, { readonly: true });
    const count = db.prepare("SELECT COUNT(*) FROM events WHERE type = 'DisbursementRecorded'").pluck().get() as number;
    db.close();
    return count;
  };

  it('leaves the batch wholly present or wholly absent, whenever it is killed', async () => {
    writeCsv(file, Array.from({ length: ROWS }, (_, i) => paymentRow(i)));
    await new SqliteEventStore({ path: join(dir, 'data', 'ledger.sqlite') }).close(); // the empty ledger the service makes at its first start
    // The officer the imports are recorded as (the first admin, made on this empty ledger, adds them).
    execFileSync(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), join(__dirname, '../apps/ledger-cli/src/main.ts'), 'add-user', 'loader', '--role', 'finance_officer', '--as', 'admin'], {
      env: { ...process.env, LEDGER_DATA_DIR: join(dir, 'data') },
      stdio: 'ignore',
    });
    const outcomes: string[] = [];
    // Kill points every 750 ms from start-up through checking and committing (sealing every row and
    // filing every new student in the key store: some 10 s here), until one run completes.
    for (let delay = 1000; delay < 30_000; delay += 750) {
      const outcome = await importOnce(delay);
      const payments = paymentsInLedger();
      outcomes.push(`${delay} ms: ${outcome}, ${payments} payments`);
      expect([0, ROWS]).toContain(payments);
      if (payments === ROWS) break;
    }
    const last = await importOnce();
    expect(last).toMatch(/^exit 0/);
    expect(paymentsInLedger()).toBe(ROWS);
    expect(outcomes.some((outcome) => outcome.includes("SIGKILL"))).toBe(true);
  }, 180_000);
});

// Batch import of a 100,000-row payment list (bar: validated and committed in ≤ 5 s, docs/architecture.md#quality-bars).
// Run: npm run bench:import [-- ROWS]. Each run imports the same list into a fresh ledger file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImportService, WritePipeline, createEventStore, loadCatalog, loadSettings, openPersonalDataVault, writeContextFor } from '@ledger/application';
import { paymentRow, writeCsv } from '../test/support/payment-lists';
import { reportResult } from './result';

const ROWS = Number(process.argv[2] ?? 100_000);
const RUNS = Number(process.env.RUNS ?? 3);

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-import-'));
  const file = join(dir, 'list.csv');
  writeCsv(file, Array.from({ length: ROWS }, (_, i) => paymentRow(i)));
  execFileSync('sync');
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const settings = loadSettings({ LEDGER_DATA_DIR: join(dir, `ledger-${run}`) });
    const store = createEventStore(settings);
    // As the service imports: students' personal fields sealed with their data keys (the key store beside the log).
    const vault = openPersonalDataVault(settings, 'write');
    const imports = new ImportService(new WritePipeline(store, undefined, vault), loadCatalog(settings.catalogPath), settings);
    const started = performance.now();
    const report = await imports.run(file, { format: 'csv', fileName: 'list.csv', commit: true, write: writeContextFor({ id: 'bench', role: 'finance_officer' }, 'bench') });
    const seconds = (performance.now() - started) / 1000;
    if (!report.committed) throw new Error(`not committed: ${JSON.stringify(report.problems.slice(0, 3))}`);
    times.push(seconds);
    console.log(`run ${run + 1}: ${report.rows} rows checked and committed in ${seconds.toFixed(2)} s (${Math.round(report.rows / seconds)} rows/s)`);
    await store.close();
    vault?.close();
    // The next run starts on a quiet disk: this run's ~340 MB (log, WAL, checkpoint) written out and removed.
    execFileSync('sync');
    rmSync(join(dir, `ledger-${run}`), { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  console.log(`import of ${ROWS} rows (CSV, 3 programs, new students): median ${times[Math.floor(times.length / 2)].toFixed(2)} s over ${RUNS} runs`);
  reportResult('import', { rows: ROWS, median: Number(times[Math.floor(times.length / 2)].toFixed(2)), runs: times.map((time) => time.toFixed(2)).join(', ') });
  rmSync(dir, { recursive: true, force: true });
}

void main();

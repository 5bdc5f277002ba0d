import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withAttempts } from '../bench/peer-emmett/attempts';
import { RESULT_PREFIX } from '../bench/result';
import { Bench, resultsTable, runAll, runBench } from '../bench/run-all';

/**
 * `npm run bench` when a benchmark's process fails — as Emmett's own store does on a busy machine
 * (`SQLITE_BUSY: cannot commit transaction`): the other results are kept, the table is written with
 * the failure in its rows, and the run says what failed. The benchmarks themselves are stood in for
 * by small node processes (the real ones would load the shared machine for minutes).
 */
const printing = (results: object[], exit = 0, stderr = '') => [
  process.execPath,
  '-e',
  `${results.map((result) => `console.log(${JSON.stringify(RESULT_PREFIX + JSON.stringify(result))});`).join('')} ${stderr ? `console.error(${JSON.stringify(stderr)});` : ''} process.exit(${exit});`,
];
const BUSY = "Error: SQLITE_BUSY: cannot commit transaction\n    at Statement.<anonymous> (node_modules/@event-driven-io/emmett-sqlite/dist/index.cjs:1:1)\n\nNode.js v20.20.2";

describe('npm run bench when a benchmark fails', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-runner-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the results the failing process printed, and says why it failed', async () => {
    const outcome = await runBench({ key: 'emmett' }, printing([{ name: 'partial', value: 1 }], 1, BUSY));
    expect(outcome).toEqual({ results: [{ name: 'partial', value: 1 }], failure: 'npm run bench:emmett exited with 1: Error: SQLITE_BUSY: cannot commit transaction' });
  });

  it('writes the table with the figures of the others and the reason of the failed one', async () => {
    const docPath = join(dir, 'benchmarks.md');
    writeFileSync(docPath, '# Benchmarks\n\n<!-- bench:results:start -->\nold table\n<!-- bench:results:end -->\n\nthe rest\n');
    const commands: Record<string, string[]> = {
      appends: printing([{ name: 'appends', median: 59738, runs: 5, low: 51771, high: 65389 }]),
      emmett: printing([], 1, BUSY),
      import: printing([{ name: 'import', median: 4.46, runs: '4.11, 4.46, 4.47' }]),
    };
    const benches: Bench[] = [{ key: 'appends' }, { key: 'emmett' }, { key: 'import' }];
    const { failures } = await runAll({ benches, docPath, commandFor: (bench) => commands[bench.key] });

    expect([...failures]).toEqual([['emmett', 'npm run bench:emmett exited with 1: Error: SQLITE_BUSY: cannot commit transaction']]);
    const doc = readFileSync(docPath, 'utf8');
    expect(doc).not.toContain('old table');
    expect(doc).toMatch(/\n\nthe rest\n$/);
    const rowOf = (what: string) => doc.split('\n').find((line) => line.startsWith(`| ${what}`));
    expect(rowOf('durable appends through the port')).toContain('**59,738 events/s** (median of 5 runs: 51,771 – 65,389)');
    expect(rowOf('the same on Emmett')).toContain('| **failed**: npm run bench:emmett exited with 1: Error: SQLITE_BUSY: cannot commit transaction |');
    expect(rowOf('batch import')).toContain('**4.46 s**');
    expect(rowOf('replay of the log into the program totals')).toContain('| not run |');
  });

  it('shows a peer failure that the comparison reported in place of the ratio, with this ledger’s figures', () => {
    const table = resultsTable(
      new Map([['emmett', { name: 'emmett', events: 5000, inFlight: 64, oursAppends: 54767, oursSerialAppends: 3376, oursReplay: 225183, emmettFailed: 'run 2 of 3: SQLITE_BUSY: cannot commit transaction (3 attempts)' }]]),
    );
    const rows = table.split('\n');
    expect(rows.find((line) => line.startsWith('| the same on Emmett'))).toContain(
      '| this ledger 54,767 events/s (64 in flight), 3,376 (1 at a time); Emmett **failed**: run 2 of 3: SQLITE_BUSY: cannot commit transaction (3 attempts) | ≥ 50× Emmett |  |',
    );
    expect(rows.find((line) => line.startsWith('| replay, read the log'))).toContain('this ledger 225,183 events/s, Emmett failed (above)');
    expect(table).not.toMatch(/NaN|Infinity/);
  });
});

describe("the peer's runs, tried again from scratch", () => {
  it('keeps the first run that succeeds, and says which attempts failed', async () => {
    const failed: number[] = [];
    let calls = 0;
    const attempted = await withAttempts(3, async () => {
      if (++calls < 3) throw new Error('SQLITE_BUSY: cannot commit transaction');
      return 'measured';
    }, (_, attempt) => failed.push(attempt));
    expect(attempted).toEqual({ value: 'measured', attempts: 3 });
    expect(failed).toEqual([1, 2]);
  });

  it('gives the last failure once the attempts are spent', async () => {
    let calls = 0;
    const attempted = await withAttempts(3, () => Promise.reject(new Error(`SQLITE_BUSY #${++calls}`)));
    expect(attempted).toEqual({ failure: 'SQLITE_BUSY #3 (3 attempts)', attempts: 3 });
  });
});

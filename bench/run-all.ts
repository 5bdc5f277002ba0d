// npm run bench: every benchmark in turn, each in its own process, then the results table with the
// machine's description written into docs/benchmarks.md (between its "bench:results" markers).
// BENCH_SKIP=emmett,replay leaves some out (their rows then say "not run"). A benchmark that fails
// does not lose the others: its rows say it failed and why, the table is written, and the run exits 1.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { RESULT_PREFIX } from './result';

const root = join(__dirname, '..');

export interface Bench {
  key: string;
  env?: Record<string, string>;
}

/** Each benchmark is its npm script (`bench:<key>`), run as README and docs show it. */
export const BENCHES: Bench[] = [
  { key: 'appends' },
  { key: 'http', env: { SECONDS: '6' } },
  { key: 'import' },
  { key: 'replay' },
  { key: 'emmett' }, // installs Emmett into bench/peer-emmett first
];
const commandOf = (bench: Bench) => `${Object.entries(bench.env ?? {}).map(([name, value]) => `${name}=${value} `).join('')}npm run bench:${bench.key}`;

export type Result = Record<string, number | string>;

/** What one benchmark's process gave: the results it printed, and why it failed if it did. */
export interface BenchOutcome {
  results: Result[];
  failure?: string;
}

/**
 * Runs one benchmark's process (`command`, by default its npm script): its output passes through,
 * its result lines are collected. A failure — a non-zero exit — comes back with the exit code and
 * the last line it wrote to stderr (SQLITE_BUSY, a stack's first line…), never as a rejection.
 */
export function runBench(bench: Bench, command: string[] = ['npm', 'run', '-s', `bench:${bench.key}`]): Promise<BenchOutcome> {
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { cwd: root, env: { ...process.env, ...bench.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const results: Result[] = [];
    let pending = '';
    let lastError = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith(RESULT_PREFIX)) results.push(JSON.parse(line.slice(RESULT_PREFIX.length)));
        else console.log(line);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      const lines = chunk.toString().split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('at '));
      // The error itself, rather than the "Node.js v20" footer or a caret under the source line.
      const meaningful = lines.filter((line) => !/^Node\.js v\d/.test(line) && !/^\^+$/.test(line));
      if (meaningful.length > 0) lastError = meaningful.find((line) => /error|SQLITE_/i.test(line)) ?? meaningful[meaningful.length - 1];
    });
    child.once('error', (error) => resolve({ results, failure: `${commandOf(bench)} could not start: ${error.message}` }));
    child.once('close', (code, signal) => {
      if (code === 0) resolve({ results });
      else resolve({ results, failure: `${commandOf(bench)} exited with ${code ?? signal}${lastError ? `: ${lastError}` : ''}` });
    });
  });
}

const n = (value: number | string) => Number(value).toLocaleString('en-US');
const verdict = (met: boolean) => (met ? 'met' : '**not met**');

/** A failure's reason as one table cell. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 240);

/** The results table; `failures` by benchmark key: the rows of a failed benchmark that gave no result say why. */
export function resultsTable(results: Map<string, Result>, failures: Map<string, string> = new Map()): string {
  const row = (what: string, key: string, bench: string, text: (r: Result) => string, bar: string, met: (r: Result) => boolean | undefined) => {
    const result = results.get(key);
    const command = commandOf(BENCHES.find((b) => b.key === bench)!);
    const failure = failures.get(bench);
    if (!result) return `| ${what} | \`${command}\` | ${failure ? `**failed**: ${cell(failure)}` : 'not run'} | ${bar} | |`;
    const ok = met(result);
    return `| ${what} | \`${command}\` | ${text(result)} | ${bar} | ${ok === undefined ? '' : verdict(ok)} |`;
  };
  const db = new Database(':memory:');
  const sqlite = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  db.close();
  const betterSqlite = JSON.parse(readFileSync(join(root, 'node_modules/better-sqlite3/package.json'), 'utf8')).version;
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}, better-sqlite3 ${betterSqlite} (SQLite ${sqlite})`;
  return [
    `Last \`npm run bench\`: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}. Durable writes (WAL, \`synchronous=FULL\`), hash chain on every ledger append.`,
    '',
    '| what | command | result | bar | |',
    '|---|---|---|---|---|',
    row('durable appends through the port, 1 event each, 64 in flight', 'appends', 'appends', (r) => `**${n(r.median)} events/s** (median of ${r.runs} runs: ${n(r.low)} – ${n(r.high)})`, '≥ 15,000 events/s', (r) => Number(r.median) >= 15_000),
    row('the same on Emmett’s SQLite store, 1 append at a time (side by side, same run)', 'emmett', 'emmett', (r) => `this ledger ${n(r.oursAppends)} events/s (${r.inFlight} in flight), ${n(r.oursSerialAppends)} (1 at a time); ${r.emmettFailed ? `Emmett **failed**: ${cell(String(r.emmettFailed))}` : `Emmett ${n(r.emmettAppends)} → **${(Number(r.oursAppends) / Number(r.emmettAppends)).toFixed(1)}×**`}`, '≥ 50× Emmett', (r) => (r.emmettFailed ? undefined : Number(r.oursAppends) / Number(r.emmettAppends) >= 50)),
    row('replay, read the log + fold totals in memory, same log on both stores', 'emmett', 'emmett', (r) => `this ledger ${n(r.oursReplay)} events/s, ${r.emmettFailed ? 'Emmett failed (above)' : `Emmett ${n(r.emmettReplay)} → ${(Number(r.oursReplay) / Number(r.emmettReplay)).toFixed(1)}×`}`, '—', () => undefined),
    row('single disbursement over HTTP, 64 connections', 'http', 'http', (r) => `**${n(r.writesPerSecond)}/s**, p50 ${r.writesP50} ms, p99 ${r.writesP99} ms (medians of ${r.runs} runs of ${r.seconds} s: ${r.writesRuns}/s; non-2xx ${r.writesNon2xx})`, '≥ 3,000/s, p99 ≤ 20 ms', (r) => Number(r.writesPerSecond) >= 3000 && Number(r.writesP99) <= 20),
    row('program totals query, 100 connections', 'http', 'http', (r) => `${n(r.readsPerSecond)}/s, p50 ${r.readsP50} ms, **p99 ${r.readsP99} ms** (medians of ${r.runs} runs)`, 'p99 ≤ 5 ms', (r) => Number(r.readsP99) <= 5),
    row('the same two loads against an empty Nest 11 app on Fastify, same run', 'http', 'http', (r) => {
      const floor = results.get('http-nest-fastify');
      if (!floor) return 'the reference did not run';
      const share = (ours: unknown, theirs: unknown) => Math.round((Number(ours) / Number(theirs)) * 100);
      return `writes **${share(r.writesPerSecond, floor.writesPerSecond)} %**, totals **${share(r.readsPerSecond, floor.readsPerSecond)} %** of its rates`;
    }, 'writes ≥ 30 %, totals ≥ 50 %', (r) => {
      const floor = results.get('http-nest-fastify');
      return floor ? Number(r.writesPerSecond) >= 0.3 * Number(floor.writesPerSecond) && Number(r.readsPerSecond) >= 0.5 * Number(floor.readsPerSecond) : undefined;
    }),
    ...([
      ['http-nest-fastify', 'reference: an empty Nest 11 app on Fastify (the ledger’s stack), same load'],
      ['http-node', 'reference: `node:http` alone, same load'],
    ] as const).map(([key, what]) =>
      row(what, key, 'http', (r) => `writes ${n(r.writesPerSecond)}/s, p99 ${r.writesP99} ms; totals ${n(r.readsPerSecond)}/s, p99 ${r.readsP99} ms (medians of ${r.runs} runs)`, '—', () => undefined),
    ),
    row('batch import, 100,000-row CSV', 'import', 'import', (r) => `**${r.median} s** (runs: ${r.runs})`, '≤ 5 s', (r) => Number(r.median) <= 5),
    row('replay of the log into the program totals', 'replay-totals', 'replay', (r) => `**${n(r.median)} events/s** over ${n(r.events)} events (${n(r.low)} – ${n(r.high)}), peak RSS ${r.peakMiB} MiB`, '≥ 150,000 events/s, memory flat', (r) => Number(r.median) >= 150_000),
    row('replay of the log into all read models', 'replay-all', 'replay', (r) => `${n(r.median)} events/s, peak RSS ${r.peakMiB} MiB`, '—', () => undefined),
    row('replay of the log into a projection that does nothing (the floor: reading, parsing, upcasting)', 'replay-floor', 'replay', (r) => `${n(r.median)} events/s (${n(r.low)} – ${n(r.high)})`, '—', () => undefined),
    row('replay into the program totals: sealed log ÷ the same log with personal fields in clear', 'replay-totals-clear', 'replay', (r) => `**${r.sealedShare}** (clear: ${n(r.median)} events/s)`, '≥ 0.9', (r) => Number(r.sealedShare) >= 0.9),
  ].join('\n');
}

/** Replaces the section between the "bench:results" markers of `path` with `table`. */
export function writeResultsSection(path: string, table: string): void {
  const doc = readFileSync(path, 'utf8');
  const start = '<!-- bench:results:start -->';
  const end = '<!-- bench:results:end -->';
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from === -1 || to === -1) throw new Error(`${path} has no ${start} … ${end} section`);
  writeFileSync(path, `${doc.slice(0, from + start.length)}\n${table}\n${doc.slice(to)}`);
}

/** Every benchmark not skipped, in turn; the table is written whatever failed. Returns the failures. */
export async function runAll(options: { benches?: Bench[]; skip?: ReadonlySet<string>; docPath?: string; commandFor?: (bench: Bench) => string[] } = {}): Promise<{ table: string; failures: Map<string, string> }> {
  const results = new Map<string, Result>();
  const failures = new Map<string, string>();
  for (const bench of options.benches ?? BENCHES) {
    if (options.skip?.has(bench.key)) continue;
    console.log(`\n== ${commandOf(bench)}`);
    const outcome = await runBench(bench, options.commandFor?.(bench));
    for (const result of outcome.results) results.set(String(result.name), result);
    if (outcome.failure) {
      failures.set(bench.key, outcome.failure);
      console.error(`${outcome.failure} — going on with the others`);
    }
  }
  const table = resultsTable(results, failures);
  const path = options.docPath ?? join(root, 'docs/benchmarks.md');
  writeResultsSection(path, table);
  console.log(`\n${table}\n\nwritten to ${path}`);
  return { table, failures };
}

if (require.main === module) {
  runAll({ skip: new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean)) }).then(
    ({ failures }) => {
      if (failures.size > 0) {
        console.error(`${failures.size} benchmark(s) failed: ${[...failures.keys()].join(', ')}`);
        process.exitCode = 1;
      }
    },
    (error: Error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}

// npm run bench: every benchmark in turn, each in its own process, then the results table with the
// machine's description written into docs/benchmarks.md (between its "bench:results" markers).
// BENCH_SKIP=emmett,replay leaves some out (their rows then say "not run").
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { RESULT_PREFIX } from './result';

const root = join(__dirname, '..');
const skip = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));

/** Each benchmark is its npm script (`bench:<key>`), run as README and docs show it. */
const BENCHES: Array<{ key: string; env?: Record<string, string> }> = [
  { key: 'appends' },
  { key: 'http', env: { SECONDS: '6' } },
  { key: 'import' },
  { key: 'replay' },
  { key: 'emmett' }, // installs Emmett into bench/peer-emmett first
];
const commandOf = (bench: (typeof BENCHES)[number]) => `${Object.entries(bench.env ?? {}).map(([name, value]) => `${name}=${value} `).join('')}npm run bench:${bench.key}`;

type Result = Record<string, number | string>;

function run(bench: (typeof BENCHES)[number]): Promise<Result[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', `bench:${bench.key}`], { cwd: root, env: { ...process.env, ...bench.env }, stdio: ['ignore', 'pipe', 'inherit'] });
    const results: Result[] = [];
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith(RESULT_PREFIX)) results.push(JSON.parse(line.slice(RESULT_PREFIX.length)));
        else console.log(line);
      }
    });
    child.once('exit', (code) => (code === 0 ? resolve(results) : reject(new Error(`${commandOf(bench)} exited with ${code}`))));
  });
}

const n = (value: number | string) => Number(value).toLocaleString('en-US');
const verdict = (met: boolean) => (met ? 'met' : '**not met**');

function table(results: Map<string, Result>): string {
  const row = (what: string, key: string, bench: string, text: (r: Result) => string, bar: string, met: (r: Result) => boolean | undefined) => {
    const result = results.get(key);
    const command = commandOf(BENCHES.find((b) => b.key === bench)!);
    if (!result) return `| ${what} | \`${command}\` | not run | ${bar} | |`;
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
    '| what | command | result | SPEC §9 bar | |',
    '|---|---|---|---|---|',
    row('durable appends through the port, 1 event each, 64 in flight', 'appends', 'appends', (r) => `**${n(r.median)} events/s** (median of ${r.runs} runs: ${n(r.low)} – ${n(r.high)})`, '≥ 15,000 events/s', (r) => Number(r.median) >= 15_000),
    row('the same on Emmett’s SQLite store, 1 append at a time (side by side, same run)', 'emmett', 'emmett', (r) => `this ledger ${n(r.oursAppends)} events/s (${r.inFlight} in flight), ${n(r.oursSerialAppends)} (1 at a time); Emmett ${n(r.emmettAppends)} → **${(Number(r.oursAppends) / Number(r.emmettAppends)).toFixed(1)}×**`, '≥ 50× Emmett', (r) => Number(r.oursAppends) / Number(r.emmettAppends) >= 50),
    row('replay, read the log + fold totals in memory, same log on both stores', 'emmett', 'emmett', (r) => `this ledger ${n(r.oursReplay)} events/s, Emmett ${n(r.emmettReplay)} → ${(Number(r.oursReplay) / Number(r.emmettReplay)).toFixed(1)}×`, '—', () => undefined),
    row('single disbursement over HTTP, 64 connections', 'http', 'http', (r) => `**${n(r.writesPerSecond)}/s**, p50 ${r.writesP50} ms, p99 ${r.writesP99} ms (medians of ${r.runs} runs of ${r.seconds} s: ${r.writesRuns}/s; non-2xx ${r.writesNon2xx})`, '≥ 3,000/s, p99 ≤ 20 ms', (r) => Number(r.writesPerSecond) >= 3000 && Number(r.writesP99) <= 20),
    row('program totals query, 100 connections', 'http', 'http', (r) => `${n(r.readsPerSecond)}/s, p50 ${r.readsP50} ms, **p99 ${r.readsP99} ms** (medians of ${r.runs} runs)`, 'p99 ≤ 5 ms', (r) => Number(r.readsP99) <= 5),
    ...([
      ['http-nest', 'reference: an empty Nest 11 app on Express (the ledger’s stack), same load'],
      ['http-nest-fastify', 'reference: an empty Nest 11 app on Fastify, same load'],
      ['http-node', 'reference: `node:http` alone, same load'],
    ] as const).map(([key, what]) =>
      row(what, key, 'http', (r) => `writes ${n(r.writesPerSecond)}/s, p99 ${r.writesP99} ms; totals ${n(r.readsPerSecond)}/s, p99 ${r.readsP99} ms (medians of ${r.runs} runs)`, '—', () => undefined),
    ),
    row('batch import, 100,000-row CSV', 'import', 'import', (r) => `**${r.median} s** (runs: ${r.runs})`, '≤ 5 s', (r) => Number(r.median) <= 5),
    row('replay of the log into the program totals', 'replay-totals', 'replay', (r) => `**${n(r.median)} events/s** over ${n(r.events)} events (${n(r.low)} – ${n(r.high)}), peak RSS ${r.peakMiB} MiB`, '≥ 150,000 events/s, memory flat', (r) => Number(r.median) >= 150_000),
    row('replay of the log into all read models', 'replay-all', 'replay', (r) => `${n(r.median)} events/s, peak RSS ${r.peakMiB} MiB`, '—', () => undefined),
    row('replay of the log into a projection that does nothing (the floor: reading, parsing, upcasting)', 'replay-floor', 'replay', (r) => `${n(r.median)} events/s (${n(r.low)} – ${n(r.high)})`, '—', () => undefined),
  ].join('\n');
}

async function main() {
  const results = new Map<string, Result>();
  for (const bench of BENCHES) {
    if (skip.has(bench.key)) continue;
    console.log(`\n== ${commandOf(bench)}`);
    for (const result of await run(bench)) results.set(String(result.name), result);
  }
  const path = join(root, 'docs/benchmarks.md');
  const doc = readFileSync(path, 'utf8');
  const start = '<!-- bench:results:start -->';
  const end = '<!-- bench:results:end -->';
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from === -1 || to === -1) throw new Error(`docs/benchmarks.md has no ${start} … ${end} section`);
  const written = table(results);
  writeFileSync(path, `${doc.slice(0, from + start.length)}\n${written}\n${doc.slice(to)}`);
  console.log(`\n${written}\n\nwritten to docs/benchmarks.md`);
}

void main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});

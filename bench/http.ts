// Over HTTP, durable: single disbursements with 64 connections (bar: ≥ 3,000/s, p99 ≤ 20 ms; docs/architecture.md#quality-bars) and
// the program totals query with 100 connections (p99 ≤ 5 ms). Run: npm run bench:http
// The service runs as its own process on a fresh data directory; autocannon drives it from this one.
// The same load then goes to reference servers with nothing of the ledger behind them — an empty
// Nest app on Fastify (the ledger's stack) and `node:http` alone — to show what this machine's cores leave for the ledger's own work
// (autocannon shares them).
// CPU_PROF=/some/dir writes the service's CPU profile there.
// PIN=1 (Linux, taskset, ≥ 2 cores): each server on core 0 and autocannon on core 1, so that no server
// shares its core with the load generator — a server-bound comparison. Without it the scheduler mixes
// them, and an empty reference server is held back by autocannon (it idles ~45 % of the time here).
import autocannon from 'autocannon';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { boardingPayment } from '../test/support/students';
import { reportResult } from './result';

const SECONDS = Number(process.env.SECONDS ?? 10);
const PORT = 43900;
const registerTs = join(__dirname, '../test/support/register-ts.js');

/** Waits until `server` answers at `url`; fails if it exits first (a bad start would otherwise wait for ever). */
async function untilServing(url: string, server: ChildProcess) {
  let exited = false;
  server.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`the server for ${url} exited before it answered`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function stop(server: ChildProcess) {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
}

/** With PIN=1: this process (autocannon) on core 1, and `serverCommand` puts a server on core 0. */
const pinned = process.env.PIN === '1';
if (pinned) {
  if (availableParallelism() < 2 || spawnSync('taskset', ['-cp', '1', String(process.pid)]).status !== 0) {
    throw new Error('PIN=1 needs taskset (util-linux) and at least 2 cores');
  }
}
/** The command and arguments that start a server: pinned to core 0 with PIN=1. */
const serverCommand = (args: string[]): [string, string[]] => (pinned ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args]);

const RUNS = Number(process.env.RUNS ?? 3);
/** Students paid so far: each run pays new ones (the same payment twice would be refused). */
let paid = 0;

/** 64 connections posting disbursements, then 100 connections asking for the totals. */
async function load(url: string, headers: Record<string, string>, settled: () => Promise<void>) {
  const writes = await autocannon({
    url: `${url}/disbursements`,
    connections: 64,
    duration: SECONDS,
    headers,
    requests: [{ method: 'POST', setupRequest: (request) => ({ ...request, body: JSON.stringify(boardingPayment(100_000 + paid++)) }) }],
  });
  await settled();
  const reads = await autocannon({ url: `${url}/totals?fiscalYear=2022`, connections: 100, duration: SECONDS, headers });
  return {
    writesPerSecond: Math.round(writes['2xx'] / SECONDS),
    writesP50: writes.latency.p50,
    writesP99: writes.latency.p99,
    writesNon2xx: writes.non2xx,
    readsPerSecond: Math.round(reads.requests.average),
    readsP50: reads.latency.p50,
    readsP99: reads.latency.p99,
    readsNon2xx: reads.non2xx,
  };
}

type Figures = Awaited<ReturnType<typeof load>>;

/** RUNS runs of the two loads against one server: each figure is the median of its runs. */
async function measure(what: string, url: string, headers: Record<string, string>, settled: () => Promise<void> = async () => undefined) {
  const runs: Figures[] = [];
  for (let run = 1; run <= RUNS; run++) {
    runs.push(await load(url, headers, settled));
    console.log(describe(`${what}, run ${run}`, runs[runs.length - 1]));
  }
  const median = (key: keyof Figures) => runs.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
  const figures = Object.fromEntries(Object.keys(runs[0]).map((key) => [key, median(key as keyof Figures)])) as Figures;
  console.log(describe(`${what}, median of ${RUNS} runs`, figures));
  return { ...figures, runs: RUNS, writesRuns: runs.map((r) => r.writesPerSecond).join(', ') };
}

const describe = (what: string, r: Figures) =>
  `${what}: writes ${r.writesPerSecond}/s with 64 connections, p50 ${r.writesP50} ms, p99 ${r.writesP99} ms, non-2xx ${r.writesNon2xx}; ` +
  `totals ${r.readsPerSecond}/s with 100 connections, p50 ${r.readsP50} ms, p99 ${r.readsP99} ms, non-2xx ${r.readsNon2xx}`;

async function ledger() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-http-'));
  // CPU_PROF=dir profiles the service (written when it stops): where a request's time goes.
  const profile = process.env.CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CPU_PROF}`] : [];
  const server = spawn(...serverCommand([...profile, '-r', registerTs, join(__dirname, '../apps/ledger-api/src/main.ts')]), {
    env: { ...process.env, PORT: String(PORT), LEDGER_DATA_DIR: dir, LEDGER_RATE_LIMIT: '0', LEDGER_REQUEST_LOG: 'false', LEDGER_DIGEST_EVERY: '0' },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${PORT}`;
  await untilServing(`${url}/health`, server);
  const admin = { authorization: `Bearer ${readFileSync(join(dir, 'first-run-admin.token'), 'utf8').trim()}`, 'content-type': 'application/json' };
  await fetch(`${url}/users`, { method: 'POST', headers: admin, body: JSON.stringify({ userId: 'bench', displayName: 'Bench', role: 'finance_officer' }) });
  const { token } = (await (await fetch(`${url}/users/bench/tokens`, { method: 'POST', headers: admin, body: '{}' })).json()) as { token: string };
  // Let the projections settle before the reads: the read bar is about a query, not about catching up with a write burst.
  const settled = async () => {
    for (;;) {
      const health = (await (await fetch(`${url}/health`)).json()) as { readModelsLag: string };
      if (health.readModelsLag === '0') return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const result = await measure('the ledger', url, { 'content-type': 'application/json', authorization: `Bearer ${token}` }, settled);
  await stop(server);
  rmSync(dir, { recursive: true, force: true });
  return result;
}

async function reference(kind: 'node' | 'nest-fastify', what: string) {
  const port = PORT + 1;
  const server =
    kind === 'nest-fastify'
      ? spawn(...serverCommand([join(__dirname, 'peer-fastify/server.js'), String(port)]), { stdio: 'ignore' })
      : spawn(...serverCommand(['-r', registerTs, join(__dirname, 'http-reference-server.ts'), kind, String(port)]), { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await untilServing(`${url}/totals`, server);
  const result = await measure(what, url, { 'content-type': 'application/json' });
  await stop(server);
  return result;
}

async function main() {
  const ours = await ledger();
  const fastify = await reference('nest-fastify', 'reference, an empty Nest 11 app on Fastify');
  const node = await reference('node', 'reference, node:http alone');
  reportResult('http', { seconds: SECONDS, ...ours });
  reportResult('http-nest-fastify', { seconds: SECONDS, ...fastify });
  reportResult('http-node', { seconds: SECONDS, ...node });
}

void main();

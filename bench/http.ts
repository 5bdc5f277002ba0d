// Over HTTP, durable: single disbursements with 64 connections (SPEC §9: ≥ 3,000/s, p99 ≤ 20 ms) and
// the program totals query with 100 connections (p99 ≤ 5 ms). Run: npm run bench:http
// The service runs as its own process on a fresh data directory; autocannon drives it from this one.
// CPU_PROF=/some/dir writes the service's CPU profile there.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boardingPayment } from '../test/support/students';
import { reportResult } from './result';

const SECONDS = Number(process.env.SECONDS ?? 10);
const PORT = 43900;

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-http-'));
  // CPU_PROF=dir profiles the service (written when it stops): where a request's time goes.
  const profile = process.env.CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CPU_PROF}`] : [];
  const server = spawn(process.execPath, [...profile, '-r', join(__dirname, '../test/support/register-ts.js'), join(__dirname, '../apps/ledger-api/src/main.ts')], {
    env: { ...process.env, PORT: String(PORT), LEDGER_DATA_DIR: dir, LEDGER_RATE_LIMIT: '0', LEDGER_REQUEST_LOG: 'false', LEDGER_DIGEST_EVERY: '0' },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${PORT}`;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const admin = { authorization: `Bearer ${readFileSync(join(dir, 'first-run-admin.token'), 'utf8').trim()}`, 'content-type': 'application/json' };
  await fetch(`${url}/users`, { method: 'POST', headers: admin, body: JSON.stringify({ userId: 'bench', displayName: 'Bench', role: 'finance_officer' }) });
  const { token } = (await (await fetch(`${url}/users/bench/tokens`, { method: 'POST', headers: admin, body: '{}' })).json()) as { token: string };
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };

  let n = 0;
  const writes = await autocannon({
    url: `${url}/disbursements`,
    connections: 64,
    duration: SECONDS,
    headers,
    requests: [{ method: 'POST', setupRequest: (request) => ({ ...request, body: JSON.stringify(boardingPayment(100_000 + n++)) }) }],
  });
  const ok = writes['2xx'];
  console.log(
    `writes: ${ok} disbursements in ${SECONDS} s = ${Math.round(ok / SECONDS)}/s with 64 connections; latency p50 ${writes.latency.p50} ms, p99 ${writes.latency.p99} ms; non-2xx ${writes.non2xx}, errors ${writes.errors}`,
  );

  // Let the projections settle: the read bar is about a query, not about catching up with a write burst.
  for (;;) {
    const health = (await (await fetch(`${url}/health`)).json()) as { readModelsLag: string };
    if (health.readModelsLag === '0') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const reads = await autocannon({ url: `${url}/totals?fiscalYear=2022`, connections: 100, duration: SECONDS, headers });
  console.log(
    `totals query: ${Math.round(reads.requests.average)}/s with 100 connections; latency p50 ${reads.latency.p50} ms, p99 ${reads.latency.p99} ms; non-2xx ${reads.non2xx}`,
  );
  reportResult('http', {
    seconds: SECONDS,
    writesPerSecond: Math.round(ok / SECONDS),
    writesP50: writes.latency.p50,
    writesP99: writes.latency.p99,
    writesNon2xx: writes.non2xx,
    readsPerSecond: Math.round(reads.requests.average),
    readsP50: reads.latency.p50,
    readsP99: reads.latency.p99,
    readsNon2xx: reads.non2xx,
  });
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}

void main();

// A large payment list imported over HTTP into the running service while /health is polled: how long
// the service stops answering, and how much memory the import takes and gives back.
// Run by hand (not part of npm run bench): node -r ./test/support/register-ts.js bench/import-responsiveness.ts [ROWS]
// Prints the worst and 99th-percentile /health latency during the import, and the service's RSS
// before, at its peak and some seconds after the import answered.
import { get } from 'node:http';
import { mkdtempSync, openAsBlob, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HEADERS, paymentRow, writeCsv } from '../test/support/payment-lists';
import { financeOfficerToken, spawnService, untilHealthy } from '../test/support/service-process';

const ROWS = Number(process.argv[2] ?? 336_000);
const SETTLE_SECONDS = Number(process.env.SETTLE_SECONDS ?? 10);

/** The service's resident set size (MiB), from /proc. */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-import-http-'));
  const file = join(dir, 'list.csv');
  // The usual columns plus a card number and a payment number, as bank lists have them (≈ 150 bytes a row).
  writeCsv(
    file,
    Array.from({ length: ROWS }, (_, i) => [...paymentRow(i), `6217${String(i).padStart(15, '0')}`, `PAY-2022-${String(i).padStart(7, '0')}`]),
    [...HEADERS, '银行卡号', '编号'],
  );
  console.log(`list: ${ROWS} rows, ${(statSync(file).size / 2 ** 20).toFixed(1)} MiB`);
  const dataDir = join(dir, 'data');
  const service = spawnService({ LEDGER_DATA_DIR: dataDir, LEDGER_LOG_LEVEL: 'warn' });
  try {
    await untilHealthy(service);
    const token = await financeOfficerToken(service, dataDir);
    const pid = service.child.pid!;
    await sleep(2000);
    const rssBefore = rssMiB(pid);

    let phase = 'import' as 'import' | 'after' | 'done';
    let peak = rssBefore;
    let failures = 0;
    let caughtUpAt: number | undefined;
    const latencies = { import: [] as number[], after: [] as number[] };
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 100);
    const poller = (async () => {
      while (phase !== 'done') {
        const during = phase;
        const started = performance.now();
        // A new connection each time, as a load balancer's health check makes it.
        const { status, body } = await new Promise<{ status: number; body: string }>((resolve) =>
          get(`${service.base}/health`, { agent: false }, (response) => {
            let text = '';
            response.on('data', (chunk: Buffer) => (text += chunk.toString()));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
          }).on('error', () => resolve({ status: 0, body: '' })),
        );
        if (status !== 200) failures++;
        else if (during === 'after' && caughtUpAt === undefined && JSON.parse(body).readModelsLag === '0') caughtUpAt = performance.now();
        latencies[during].push(performance.now() - started);
        await sleep(20);
      }
    })();

    const started = performance.now();
    const form = new FormData();
    form.append('file', await openAsBlob(file), 'list.csv');
    const response = await fetch(`${service.base}/imports?commit=true`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${token}` } });
    const report = (await response.json()) as { committed?: boolean; rows?: number; problems?: unknown[] };
    const seconds = (performance.now() - started) / 1000;
    phase = 'after';
    const answeredAt = performance.now();
    while (caughtUpAt === undefined) await sleep(100);
    console.log(`read models caught up ${((caughtUpAt - answeredAt) / 1000).toFixed(1)} s after the answer`);
    console.log(`import: HTTP ${response.status}, committed ${report.committed}, ${report.rows} rows in ${seconds.toFixed(1)} s`);
    if (!report.committed) console.log(JSON.stringify(report).slice(0, 500));

    const peakDuringImport = peak;
    await sleep(SETTLE_SECONDS * 1000);
    phase = 'done';
    await poller;
    clearInterval(sampler);
    const rssAfter = rssMiB(pid);
    for (const [when, list] of [['during the import', latencies.import], ['after it, while the read models catch up and settle', latencies.after]] as const) {
      if (list.length === 0) continue;
      list.sort((a, b) => a - b);
      const p = (q: number) => list[Math.min(list.length - 1, Math.floor(q * list.length))].toFixed(0);
      console.log(`/health ${when}: ${list.length} answers, median ${p(0.5)} ms, p99 ${p(0.99)} ms, worst ${list[list.length - 1].toFixed(0)} ms`);
    }
    if (failures > 0) console.log(`/health failed ${failures} time(s)`);
    console.log(`RSS: before ${rssBefore} MiB, peak ${Math.max(peakDuringImport, peak)} MiB, ${SETTLE_SECONDS} s after the read models caught up ${rssAfter} MiB`);
  } finally {
    service.child.kill('SIGTERM');
    await service.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();

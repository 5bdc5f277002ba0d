// Durable appends through the event-store port on a real SQLite file: one event per append,
// 64 appends in flight (bar: ≥ 15,000 events/s, docs/architecture.md#quality-bars). Run: npm run bench
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@ledger/event-store';
import { reportResult } from './result';

const EVENTS = 20_000;
const IN_FLIGHT = 64;
const RUNS = 5;

const data = {
  disbursementId: '7c1e6f3a-0d4b-4f7e-b1d6-5a9e2c7b3f40',
  beneficiary: { key: '654002201001010015', residentId: '654002201001010015' },
  schoolCode: '2165000001',
  stage: 'primary',
  programCode: 'BOARDING_LIVING_SUBSIDY',
  period: '2022-autumn',
  amount: '500.00',
  payee: { type: 'student' },
  valueDate: '2022-10-20',
};

async function once(run: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-appends-'));
  const store = new SqliteEventStore({ path: join(dir, 'ledger.sqlite') });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < EVENTS) {
        const n = next++;
        await store.appendToStream(
          `beneficiary-${run}-${n}`,
          [{ eventId: `${run}-${n}`, type: 'DisbursementRecorded', schemaVersion: 1, data, metadata: { actor: { id: 'bench', role: 'finance_officer' } } }],
          'no_stream',
        );
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return EVENTS / seconds;
}

async function main() {
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) rates.push(await once(run));
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)];
  console.log(`durable appends, 1 event each, ${IN_FLIGHT} in flight, synchronous=FULL: median ${median.toFixed(0)} events/s over ${RUNS} runs of ${EVENTS}`);
  console.log(`runs: ${rates.map((rate) => rate.toFixed(0)).join(', ')}`);
  reportResult('appends', { median: Math.round(median), low: Math.round(rates[0]), high: Math.round(rates[rates.length - 1]), runs: RUNS, events: EVENTS, inFlight: IN_FLIGHT });
}

void main();

// The peer comparison: the same append-then-replay workload on this ledger's SQLite store and
// on Emmett's SQLite event store (@event-driven-io/emmett-sqlite), side by side in one run, printed
// as ratios. Run: npm run bench:emmett   (installs Emmett into bench/peer-emmett first)
//
// Workload, identical on both sides:
//   appends — EVENTS disbursements, one event per append to a new stream (ours: IN_FLIGHT at a time and
//             one at a time; Emmett: one at a time, see below),
//             durable (WAL + synchronous=FULL on both: SQLite's compiled default, which Emmett keeps;
//             we check it on Emmett's file below);
//   replay  — read the whole log back in pages of 1,000 and fold per-program net totals in integer fen.
// Our side goes through the event-store port, without the hash chain (Emmett has none).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { getSQLiteEventStore, readMessagesBatch, sqliteConnection } from '@event-driven-io/emmett-sqlite';
import { SqliteEventStore, readAllPages } from '@ledger/event-store';
import { Money } from '@ledger/domain';
import { reportResult } from '../result';
import { withAttempts } from './attempts';

const EVENTS = Number(process.env.EVENTS ?? 5_000);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 64);
const RUNS = Number(process.env.RUNS ?? 3);
/** Tries of each Emmett run before its failure is what gets reported (see attempts.ts). */
const PEER_ATTEMPTS = Number(process.env.PEER_ATTEMPTS ?? 3);

const disbursement = (n: number) => ({
  disbursementId: `d-${n}`,
  beneficiary: { key: '654002201001010015', residentId: '654002201001010015' },
  schoolCode: '2165000001',
  stage: 'primary',
  programCode: n % 7 === 0 ? 'NON_BOARDING_LIVING_SUBSIDY' : 'BOARDING_LIVING_SUBSIDY',
  period: '2022-autumn',
  amount: n % 7 === 0 ? '250.00' : '500.00',
  payee: { type: 'student' },
  valueDate: '2022-10-20',
});
const metadata = { actor: { id: 'bench', role: 'finance_officer' } };

interface Side {
  name: string;
  inFlight: number;
  append(n: number): Promise<void>;
  replay(): Promise<{ events: number; totals: Map<string, bigint> }>;
  close(): Promise<void>;
}

const ours = (inFlight: number) => (dir: string): Side => {
  const store = new SqliteEventStore({ path: join(dir, 'ledger.sqlite') });
  return {
    name: `this ledger, ${inFlight} in flight`,
    inFlight,
    async append(n) {
      await store.appendToStream(`beneficiary-${n}`, [{ eventId: `e-${n}`, type: 'DisbursementRecorded', schemaVersion: 1, data: disbursement(n), metadata }], 'no_stream');
    },
    async replay() {
      const totals = new Map<string, bigint>();
      let events = 0;
      for await (const page of readAllPages(store, 0n, 1000)) {
        for (const event of page) {
          const data = event.data as { programCode: string; amount: string };
          totals.set(data.programCode, (totals.get(data.programCode) ?? 0n) + Money.parse(data.amount).fen);
          events++;
        }
      }
      return { events, totals };
    },
    close: () => store.close(),
  };
};

function emmett(dir: string): Side {
  const fileName = join(dir, 'emmett.sqlite');
  // Emmett is driven one append at a time: a store instance keeps one connection and closes it
  // after every call, so concurrent calls on one instance fail (SQLITE_MISUSE), and separate
  // instances take BEGIN IMMEDIATE with no busy timeout (SQLITE_BUSY, and a failed rollback).
  const store = getSQLiteEventStore({ fileName });
  return {
    name: 'Emmett',
    inFlight: 1,
    async append(n) {
      await store.appendToStream(`beneficiary-${n}`, [{ type: 'DisbursementRecorded', data: disbursement(n), metadata }], { expectedStreamVersion: 'STREAM_DOES_NOT_EXIST' as never });
    },
    async replay() {
      const connection = sqliteConnection({ fileName });
      const totals = new Map<string, bigint>();
      let events = 0;
      let after = 0n;
      for (;;) {
        const batch = await readMessagesBatch(connection, { after, batchSize: 1000 });
        for (const message of batch.messages) {
          const data = message.data as { programCode: string; amount: string };
          totals.set(data.programCode, (totals.get(data.programCode) ?? 0n) + Money.parse(data.amount).fen);
          events++;
        }
        if (!batch.areEventsLeft || batch.messages.length === 0) break;
        after = batch.currentGlobalPosition;
      }
      connection.close();
      return { events, totals };
    },
    close: async () => undefined,
  };
}

async function synchronousOf(file: string): Promise<number> {
  const db = new sqlite3.Database(file);
  const row = await new Promise<{ synchronous: number }>((resolve, reject) => db.get('PRAGMA synchronous', (error, result) => (error ? reject(error) : resolve(result as { synchronous: number }))));
  db.close();
  return row.synchronous;
}

async function measure(make: (dir: string) => Side): Promise<{ appends: number; replay: number; name: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-peer-'));
  const side = make(dir);
  try {
    let next = 0;
    let started = performance.now();
    await Promise.all(
      Array.from({ length: side.inFlight }, async () => {
        while (next < EVENTS) await side.append(next++);
      }),
    );
    const appends = EVENTS / ((performance.now() - started) / 1000);
    started = performance.now();
    const { events, totals } = await side.replay();
    const replay = events / ((performance.now() - started) / 1000);
    if (events !== EVENTS) throw new Error(`${side.name}: replayed ${events} of ${EVENTS} events`);
    const expected = Array.from({ length: EVENTS }, (_, n) => (n % 7 === 0 ? 25_000n : 50_000n)).reduce((a, b) => a + b, 0n);
    const folded = [...totals.values()].reduce((a, b) => a + b, 0n);
    if (folded !== expected) throw new Error(`${side.name}: replay folded ${folded} fen, expected ${expected}`);
    if (side.name === 'Emmett') {
      const synchronous = await synchronousOf(join(dir, 'emmett.sqlite'));
      if (synchronous !== 2) throw new Error(`Emmett's connection runs synchronous=${synchronous}, not FULL`);
    }
    return { appends, replay, name: side.name };
  } finally {
    await side.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const sides = [ours(IN_FLIGHT), ours(1), emmett];
  const results = new Map<string, { appends: number[]; replay: number[] }>();
  let peerFailure: string | undefined;
  for (let run = 0; run < RUNS; run++) {
    for (const make of sides) {
      let result: { appends: number; replay: number; name: string };
      if (make === emmett) {
        if (peerFailure) continue;
        // Only the peer is tried again: a failure of this ledger's store is a failure of the benchmark.
        const attempted = await withAttempts(PEER_ATTEMPTS, () => measure(emmett), (error, attempt) =>
          console.error(`run ${run + 1}, Emmett: attempt ${attempt} of ${PEER_ATTEMPTS} failed: ${error.message}${attempt < PEER_ATTEMPTS ? ' — again, from scratch' : ''}`),
        );
        if ('failure' in attempted) {
          peerFailure = `run ${run + 1} of ${RUNS}: ${attempted.failure}`;
          continue;
        }
        result = attempted.value;
      } else result = await measure(make);
      const entry = results.get(result.name) ?? { appends: [], replay: [] };
      entry.appends.push(result.appends);
      entry.replay.push(result.replay);
      results.set(result.name, entry);
      console.log(`run ${run + 1}, ${result.name}: appends ${result.appends.toFixed(0)} events/s, replay ${result.replay.toFixed(0)} events/s`);
    }
  }
  const concurrent = results.get(`this ledger, ${IN_FLIGHT} in flight`)!;
  const serial = results.get('this ledger, 1 in flight')!;
  const ourFigures = {
    events: EVENTS,
    inFlight: IN_FLIGHT,
    oursAppends: Math.round(median(concurrent.appends)),
    oursSerialAppends: Math.round(median(serial.appends)),
    oursReplay: Math.round(median(concurrent.replay)),
  };
  if (peerFailure) {
    // Reported, not thrown: this ledger's figures stand, and the table says the peer failed.
    console.log(`\n${EVENTS} events; Emmett 0.38.5 failed (${peerFailure}): no ratio this run`);
    reportResult('emmett', { ...ourFigures, emmettFailed: peerFailure });
    return;
  }
  const peer = results.get('Emmett')!;
  const peerAppends = median(peer.appends);
  const peerReplay = median(peer.replay);
  console.log(`\n${EVENTS} events, 1 per append, WAL + synchronous=FULL; medians of ${RUNS} runs; ratio = this ledger ÷ Emmett 0.38.5 (1 append at a time: ${peerAppends.toFixed(0)} appends/s, replay ${peerReplay.toFixed(0)} events/s)`);
  console.log('| this ledger | durable appends, events/s | ratio | replay (read + fold totals), events/s | ratio |');
  console.log('|---|---|---|---|---|');
  for (const [name, entry] of results) {
    if (name === 'Emmett') continue;
    const appends = median(entry.appends);
    const replay = median(entry.replay);
    console.log(`| ${name} | ${appends.toFixed(0)} | ${(appends / peerAppends).toFixed(1)}× | ${replay.toFixed(0)} | ${(replay / peerReplay).toFixed(1)}× |`);
  }
  reportResult('emmett', { ...ourFigures, emmettAppends: Math.round(peerAppends), emmettReplay: Math.round(peerReplay) });
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});

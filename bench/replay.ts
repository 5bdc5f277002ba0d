// Replay of the log into the program totals (and every other read model): events per second and
// peak memory (bar: ≥ 150,000 events/s, memory flat; docs/architecture.md#quality-bars). Run: npm run bench:replay [-- EVENTS]
// The log is generated once per size (realistic disbursements and reversals, one stream per student,
// personal fields sealed as the ledger writes them) and kept in the temp directory for later runs.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { resourceUsage } from 'node:process';
import { EventToAppend, SqliteEventStore } from '@ledger/event-store';
import { PersonalDataVault } from '@ledger/application';
import { newStudentKey } from '@ledger/personal-data';
import { ALL_PROJECTIONS, Projection, programTotalsProjection, queryProgramTotals, replayReadModels } from '@ledger/projections';
import { gb11643CheckCharacter } from '@ledger/domain';
import { reportResult } from './result';

const EVENTS = Number(process.argv[2] ?? 1_000_000);
const RUNS = 3;

function residentId(i: number): string {
  const day = new Date(Date.UTC(2008, 0, 1) + (i % 3650) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const first17 = `654002${day}${String(Math.floor(i / 3650) % 1000).padStart(3, '0')}`;
  return first17 + gb11643CheckCharacter(first17);
}

/**
 * Writes the bench log. `sealed` (the form the ledger writes): each student filed under an opaque key
 * with a data key of their own in a key store beside the log, the name and resident ID sealed as the
 * write pipeline seals them (PersonalDataVault.sealFor). `clear`: the form of a ledger written before
 * the key store, identifiers in the stream names — to measure what the sealed form costs a replay.
 */
async function generate(path: string, form: 'sealed' | 'clear') {
  const store = new SqliteEventStore({ path });
  const vault = form === 'sealed' ? PersonalDataVault.open(join(dirname(path), 'keys')) : undefined;
  const started = performance.now();
  let written = 0;
  let student = 0;
  while (written < EVENTS) {
    // A thousand students at a time: their data keys made in one key-store transaction, their appends in flight together.
    const chunk: Array<{ streamId: string; events: EventToAppend[] }> = [];
    const build = () => {
      for (let n = 0; n < 1000 && written < EVENTS; n++) {
        const i = student++;
        const id = residentId(i);
        const key = vault ? newStudentKey() : id;
        const streamId = `beneficiary-${key}`;
        const primary = i % 3 !== 0;
        const line = {
          beneficiary: { key, residentId: id, name: `学生${i}` },
          schoolCode: `${primary ? '21' : '31'}65${String(1 + (i % 200)).padStart(6, '0')}`,
          stage: primary ? 'primary' : 'junior',
          programCode: i % 7 === 0 ? 'NON_BOARDING_LIVING_SUBSIDY' : 'BOARDING_LIVING_SUBSIDY',
          amount: i % 7 === 0 ? (primary ? '250.00' : '312.50') : primary ? '500.00' : '625.00',
        };
        const events = [
          { type: 'DisbursementRecorded', data: { disbursementId: `${i}-s`, ...line, period: '2022-spring', payee: { type: 'student' }, valueDate: '2022-04-20' } },
          { type: 'DisbursementRecorded', data: { disbursementId: `${i}-a`, ...line, period: '2022-autumn', payee: { type: 'student' }, valueDate: '2022-10-20' } },
          ...(i % 10 === 0
            ? [{ type: 'DisbursementReversed', data: { disbursementId: `${i}-a`, ...line, period: '2022-autumn', originalValueDate: '2022-10-20', reason: 'wrong card', valueDate: '2022-11-02' } }]
            : []),
        ].slice(0, Math.max(0, EVENTS - written));
        written += events.length;
        chunk.push({
          streamId,
          events: events.map((event, e) => ({
            eventId: `${i}-${e}`,
            schemaVersion: 1,
            metadata: { actor: { id: 'bench', role: 'finance_officer' }, correlationId: `c-${i}` },
            type: event.type,
            data: vault ? vault.sealFor(streamId, event.data) : event.data,
          })),
        });
      }
    };
    if (vault) vault.keys.inOneTransaction(build);
    else build();
    await Promise.all(chunk.map(({ streamId, events }) => store.appendToStream(streamId, events, 'no_stream')));
  }
  await store.close();
  vault?.close();
  console.log(`generated ${EVENTS} events (${form}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** Reads every aid event's amount and writes nothing: what any projection pays before its own work. */
const NOTHING: Projection = {
  name: 'nothing',
  version: 1,
  tables: [],
  schema: '',
  prepare() {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars -- a sink: the amounts are read, the sum is never needed
    let characters = 0;
    return (event) => {
      if ('amount' in event.data) characters += event.data.amount.length;
    };
  },
};

/** The bench log of this size and form, generated once and kept in the temp directory for later runs. */
async function benchLog(form: 'sealed' | 'clear'): Promise<string> {
  const cache = join(tmpdir(), `ledger-bench-replay-${form}-${EVENTS}`);
  const path = join(cache, 'ledger.sqlite');
  if (!existsSync(path)) {
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(cache, { recursive: true });
    await generate(path, form);
  }
  return path;
}

async function main() {
  const store = new SqliteEventStore({ path: await benchLog('sealed') });
  let sealedTotals = 0;
  for (const [key, name, projections] of [
    ['replay-totals', 'the program totals', [programTotalsProjection]],
    ['replay-all', 'all read models', ALL_PROJECTIONS],
    ['replay-floor', 'a projection that does nothing (the floor: reading, parsing, upcasting)', [NOTHING]],
  ] as Array<[string, string, readonly Projection[]]>) {
    const result = await measure(store, name, projections);
    if (key === 'replay-totals') sealedTotals = result.median;
    reportResult(key, { events: EVENTS, ...result });
  }
  await store.close();
  // The same log with the personal fields in clear (as before the key store): what sealing costs a replay, which decrypts nothing.
  const clear = new SqliteEventStore({ path: await benchLog('clear') });
  const clearTotals = await measure(clear, 'the program totals, personal fields in clear', [programTotalsProjection]);
  await clear.close();
  console.log(`sealed ÷ clear (program totals): ${(sealedTotals / clearTotals.median).toFixed(3)}`);
  reportResult('replay-totals-clear', { events: EVENTS, ...clearTotals, sealedShare: Number((sealedTotals / clearTotals.median).toFixed(3)) });
}

async function measure(store: SqliteEventStore, name: string, projections: readonly Projection[]) {
  const rates: number[] = [];
  let peak = 0;
  for (let run = 0; run < RUNS; run++) {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-models-'));
    const started = performance.now();
    const replay = await replayReadModels(store, join(dir, 'read-models.sqlite'), projections, {}, () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    });
    const seconds = (performance.now() - started) / 1000;
    rates.push(replay.events / seconds);
    if (run === 0 && projections.includes(programTotalsProjection)) console.log(`totals: ${queryProgramTotals(replay.models.db, { fiscalYear: 2022 }).map((row) => `${row.programCode} ${row.net.students} students ¥${row.net.amount}`).join('; ')}`);
    await replay.models.close();
    rmSync(dir, { recursive: true, force: true });
    console.log(`run ${run + 1}: ${replay.events} events in ${seconds.toFixed(1)} s = ${Math.round(replay.events / seconds)} events/s`);
  }
  rates.sort((a, b) => a - b);
  const median = Math.round(rates[Math.floor(rates.length / 2)]);
  console.log(
    `replay of ${EVENTS} events into ${name}: median ${median} events/s over ${RUNS} runs; ` +
      `peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB sampled, max RSS ${(resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
  );
  return { median, low: Math.round(rates[0]), high: Math.round(rates[rates.length - 1]), peakMiB: Math.round(peak / 2 ** 20) };
}

void main();

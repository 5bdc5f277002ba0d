// Child process of the crash test: appends to the SQLite store as fast as it can, many appends in
// flight at once, and prints the id of every append the store acknowledged. It never stops by itself.
import { SqliteEventStore } from '@ledger/event-store';

const store = new SqliteEventStore({ path: process.argv[2] });
let next = 0;

async function writer(lane: number) {
  for (;;) {
    const n = next++;
    const eventId = `acked-${process.pid}-${n}`;
    await store.appendToStream(`lane-${lane}`, [{ eventId, type: 'Happened', schemaVersion: 1, data: { n }, metadata: {} }], 'any');
    process.stdout.write(`${eventId}\n`);
  }
}

for (let lane = 0; lane < 16; lane++) void writer(lane);

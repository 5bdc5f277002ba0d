import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore, readAllPages } from '@ledger/event-store';
import { ChainedEventStore } from './chained-event-store';
import { integrityOf } from './event-hash';
import { RecordedLeaf, verifyLog } from './verify-log';

/** verifyLog on a real SQLite log, against leaves recorded the way the service records them. */
describe('verifyLog against the recorded leaves', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-verify-log-'));
  const store = new ChainedEventStore(new SqliteEventStore({ path: join(dir, 'ledger.sqlite') }));
  let recorded: RecordedLeaf[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 6; i++) {
      await store.appendToStream(`stream-${i % 2}`, [{ eventId: `00000000-0000-4000-8000-00000000000${i}`, type: 'Noted', schemaVersion: 1, data: { i }, metadata: {} }], i < 2 ? 'no_stream' : Math.floor(i / 2) - 1);
    }
    for await (const page of readAllPages(store)) {
      for (const event of page) recorded.push({ leafIndex: recorded.length, position: event.position.toString(), hash: integrityOf(event)!.hash });
    }
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds nothing when the recorded leaves are the log', async () => {
    expect(await verifyLog(store, { recordedLeaves: recorded })).toMatchObject({ ok: true, eventsChecked: 6, problems: [] });
  });

  it('reports leaves recorded beyond the end of the log: the log was rolled back', async () => {
    // The service recorded two more events than the log now holds (its tail was removed).
    const beyond = [...recorded, { leafIndex: 6, position: '7', hash: 'aa'.repeat(32) }, { leafIndex: 7, position: '8', hash: 'bb'.repeat(32) }];
    const report = await verifyLog(store, { recordedLeaves: beyond });
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'rolled_back', position: '7', leafIndex: 6 });
    expect(report.firstProblem!.detail).toMatch(/2 leaves .* beyond the end of the log/);
  });
});

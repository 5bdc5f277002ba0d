import Database from 'better-sqlite3';
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
  const recorded: RecordedLeaf[] = [];

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

/** On a store whose positions are consecutive (SQLite), a missing position is an event removed. */
describe('verifyLog on a store with consecutive positions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-verify-gap-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function logWith(name: string, events: number) {
    const path = join(dir, `${name}.sqlite`);
    const store = new ChainedEventStore(new SqliteEventStore({ path }));
    for (let i = 0; i < events; i++) {
      await store.appendToStream(`stream-${i}`, [{ eventId: `00000000-0000-4000-8000-0000000000${String(i).padStart(2, '0')}`, type: 'Noted', schemaVersion: 1, data: { i }, metadata: {} }], 'no_stream');
    }
    await store.close();
    return path;
  }
  function remove(path: string, positions: number[]) {
    const db = new Database(path);
    db.exec('DROP TRIGGER events_refuse_delete');
    for (const position of positions) db.prepare('DELETE FROM events WHERE position = ?').run(position);
    db.close();
  }

  it('reports an event removed from the middle of the log, leaving no trace in any chain', async () => {
    const path = await logWith('middle', 6);
    remove(path, [4]); // a stream of its own: no revision gap, no broken chain
    const store = new SqliteEventStore({ path, readonly: true });
    const report = await verifyLog(store);
    await store.close();
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'position_gap', position: '4', leafIndex: 3 });
    expect(report.firstProblem!.detail).toMatch(/position 4 is missing/);
  });

  it('reports events removed from the start, and several gaps with their counts', async () => {
    const path = await logWith('start', 8);
    remove(path, [1, 2, 5, 6, 7]);
    const store = new SqliteEventStore({ path, readonly: true });
    const report = await verifyLog(store);
    await store.close();
    expect(report.problems.filter((problem) => problem.kind === 'position_gap').map((problem) => [problem.position, problem.detail.match(/\d+ events?/)?.[0]])).toEqual([
      ['1', '2 events'],
      ['5', '3 events'],
    ]);
  });

  it('does not look for gaps on a store that does not promise consecutive positions', async () => {
    const path = await logWith('other', 4);
    remove(path, [2]);
    const inner = new SqliteEventStore({ path, readonly: true });
    const store = new (class extends ChainedEventStore {
      override get consecutivePositions() {
        return false;
      }
    })(inner);
    expect((await verifyLog(store)).ok).toBe(true);
    await store.close();
  });
});

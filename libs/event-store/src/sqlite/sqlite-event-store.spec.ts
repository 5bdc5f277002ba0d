import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventStoreContract } from '../../../../test/event-store.contract';
import { EventIdConflictError } from '../event-store.port';
import { SqliteEventStore } from './sqlite-event-store';

const directories: string[] = [];
const freshPath = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-store-'));
  directories.push(dir);
  return join(dir, 'ledger.sqlite');
};
afterAll(() => directories.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

eventStoreContract('SQLite on a real file', async () => new SqliteEventStore({ path: freshPath() }));

describe('SQLite event store on its file', () => {
  const event = (n: number) => ({ eventId: `e-${n}`, type: 'Happened', schemaVersion: 1, data: { n }, metadata: {} });

  it('makes its file, and the WAL beside it, readable and writable by its owner alone (0600)', async () => {
    const path = freshPath();
    const store = new SqliteEventStore({ path });
    await store.appendToStream('s-1', [event(1)], 'no_stream');
    for (const file of [path, `${path}-wal`]) expect({ file, mode: (statSync(file).mode & 0o777).toString(8) }).toEqual({ file, mode: '600' });
    await store.close();
  });

  it('refuses an event id already used in another stream (ids are unique across the whole log)', async () => {
    const store = new SqliteEventStore({ path: freshPath() });
    await store.appendToStream('a', [event(1)], 'no_stream');
    await expect(store.appendToStream('b', [event(1)], 'no_stream')).rejects.toBeInstanceOf(EventIdConflictError);
    // In one group commit with others: only the conflicting append fails, and none of its events is written.
    const [conflicting, fine] = await Promise.allSettled([
      store.appendToStream('c', [event(3), event(1)], 'no_stream'),
      store.appendToStream('d', [event(4)], 'no_stream'),
    ]);
    expect(conflicting).toMatchObject({ status: 'rejected', reason: expect.any(EventIdConflictError) });
    expect(fine).toMatchObject({ status: 'fulfilled' });
    expect(await store.readStream('c')).toEqual([]);
    // All or nothing across streams, too.
    await expect(store.appendAtomically([{ streamId: 'e', events: [event(5)], expectedVersion: 'no_stream' }, { streamId: 'f', events: [event(4)], expectedVersion: 'no_stream' }])).rejects.toBeInstanceOf(EventIdConflictError);
    expect(await store.readStream('e')).toEqual([]);
    await store.close();
  });

  it('refuses UPDATE and DELETE of events, whoever connects to the file', async () => {
    const path = freshPath();
    const store = new SqliteEventStore({ path });
    await store.appendToStream('s', [event(1), event(2)], 'no_stream');
    await store.close();

    const db = new Database(path);
    expect(() => db.prepare("UPDATE events SET data = '{\"n\":99}' WHERE event_id = 'e-1'").run()).toThrow(/append-only: UPDATE is refused/);
    expect(() => db.prepare("DELETE FROM events WHERE event_id = 'e-2'").run()).toThrow(/append-only: DELETE is refused/);
    expect(() => db.prepare('DELETE FROM events').run()).toThrow(/append-only/);
    expect(db.prepare('SELECT data FROM events ORDER BY position').pluck().all()).toEqual(['{"n":1}', '{"n":2}']);
    db.close();
  });

  it('runs with WAL and synchronous=FULL, also when it reopens an existing file', async () => {
    const path = freshPath();
    const first = new SqliteEventStore({ path });
    expect(first.synchronousLevel()).toBe(2);
    await first.close();
    const reopened = new SqliteEventStore({ path });
    expect(reopened.synchronousLevel()).toBe(2);
    await reopened.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('keeps every acknowledged append across a reopen, positions and all', async () => {
    const path = freshPath();
    const store = new SqliteEventStore({ path });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.appendToStream(`s-${i % 5}`, [event(i)], 'any')));
    await store.close();
    const reopened = new SqliteEventStore({ path });
    const log = await reopened.readAll({ maxCount: 100 });
    expect(log.map((e) => e.eventId).sort()).toEqual(results.map((r) => r.events[0].eventId).sort());
    expect(await reopened.headPosition()).toBe(50n);
    await reopened.close();
  });

  it('commits concurrent appends together, and one failing append fails alone', async () => {
    const store = new SqliteEventStore({ path: freshPath() });
    await store.appendToStream('taken', [event(0)], 'no_stream');
    const outcomes = await Promise.allSettled([
      store.appendToStream('a', [event(1)], 'no_stream'),
      store.appendToStream('taken', [event(2)], 'no_stream'),
      store.appendToStream('b', [event(3)], 'no_stream'),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await store.readAll({ maxCount: 10 })).map((e) => e.eventId)).toEqual(['e-0', 'e-1', 'e-3']);
    await store.close();
  });

  it('copies the WAL into the database file from its worker thread, not in the commits', async () => {
    const fileSizeAfterAppends = async (backgroundCheckpoints: boolean, patienceMs: number) => {
      const path = freshPath();
      const store = new SqliteEventStore({ path, backgroundCheckpoints });
      const payload = 'x'.repeat(1000);
      for (let batch = 0; batch < 10; batch++) {
        await Promise.all(Array.from({ length: 100 }, (_, i) => store.appendToStream(`s-${batch}-${i}`, [{ ...event(batch * 100 + i), data: { payload } }], 'no_stream')));
      }
      // ~1 MB committed to the WAL, well below SQLite's own checkpoint (1,000 pages): only the worker copies it.
      const deadline = Date.now() + patienceMs;
      while (Date.now() < deadline && statSync(path).size < 1_000_000) await new Promise((resolve) => setTimeout(resolve, 50));
      const size = statSync(path).size;
      await store.close();
      // Closed: the last connection checkpointed and removed the WAL.
      expect(existsSync(`${path}-wal`)).toBe(false);
      const reopened = new SqliteEventStore({ path, backgroundCheckpoints: false });
      expect(await reopened.readAll({ maxCount: 2000 })).toHaveLength(1000);
      await reopened.close();
      return size;
    };
    expect(await fileSizeAfterAppends(true, 3000)).toBeGreaterThan(1_000_000);
    expect(await fileSizeAfterAppends(false, 500)).toBeLessThan(100_000);
  });

  describe('an atomic batch written in parts (a large import)', () => {
    const append = (stream: string, n: number) => ({ streamId: stream, events: [event(n)], expectedVersion: 'no_stream' as const });
    /** Parts that wait for `release` after the first one: the batch is open in the middle. */
    const gatedParts = (first: ReturnType<typeof append>[], rest: ReturnType<typeof append>[], failWith?: Error) => {
      let release!: () => void;
      let firstTaken!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const taken = new Promise<void>((resolve) => (firstTaken = resolve));
      async function* parts() {
        yield first;
        firstTaken();
        await gate;
        if (failWith) throw failWith;
        yield rest;
      }
      return { parts: parts(), release, taken };
    };

    it('shows readers none of it until the last part is written, and lets other appends commit right after it', async () => {
      const store = new SqliteEventStore({ path: freshPath() });
      await store.appendToStream('before', [event(0)], 'no_stream');
      const { parts, release, taken } = gatedParts([append('s-1', 1), append('s-2', 2)], [append('s-3', 3)]);
      const batch = store.appendAtomicallyInParts(parts);
      await taken;
      await new Promise((resolve) => setTimeout(resolve, 20)); // the first part is written, the transaction open
      expect(await store.headPosition()).toBe(1n);
      expect(await store.readStream('s-1')).toEqual([]);
      expect(await store.readAll({ maxCount: 10 })).toHaveLength(1);
      const waiting = store.appendToStream('during', [event(9)], 'no_stream');
      release();
      expect(await batch).toEqual({ events: 3 });
      const during = await waiting;
      expect((await store.readAll({ maxCount: 10 })).map((e) => e.eventId)).toEqual(['e-0', 'e-1', 'e-2', 'e-3', 'e-9']);
      expect(during.events[0].position).toBe(5n);
      await store.close();
    });

    it('leaves nothing when a part throws or an append of it conflicts, and goes on working', async () => {
      const store = new SqliteEventStore({ path: freshPath() });
      await store.appendToStream('taken', [event(0)], 'no_stream');
      const failing = gatedParts([append('s-1', 1)], [append('s-2', 2)], new Error('the list could not be read'));
      const batch = store.appendAtomicallyInParts(failing.parts);
      await failing.taken;
      failing.release();
      await expect(batch).rejects.toThrow('the list could not be read');
      async function* conflicting() {
        yield [append('s-3', 3)];
        yield [append('taken', 4)];
      }
      await expect(store.appendAtomicallyInParts(conflicting())).rejects.toThrow(/expected version no_stream/);
      expect((await store.readAll({ maxCount: 10 })).map((e) => e.eventId)).toEqual(['e-0']);
      await store.appendAtomically([append('s-5', 5)]);
      expect(await store.headPosition()).toBe(2n);
      await store.close();
    });

    it('finishes a batch being written before the store closes', async () => {
      const path = freshPath();
      const store = new SqliteEventStore({ path });
      const { parts, release, taken } = gatedParts([append('s-1', 1)], [append('s-2', 2)]);
      const batch = store.appendAtomicallyInParts(parts);
      await taken;
      const closing = store.close();
      release();
      await Promise.all([batch, closing]);
      const reopened = new SqliteEventStore({ path });
      expect(await reopened.headPosition()).toBe(2n);
      await reopened.close();
    });
  });
});

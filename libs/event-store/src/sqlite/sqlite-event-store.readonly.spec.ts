import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from './sqlite-event-store';

/** The store opened read-only, as the CLI's audit commands open the ledger. */
describe('SQLite event store, read-only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-store-readonly-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const event = (n: number) => ({ eventId: `e-${n}`, type: 'Happened', schemaVersion: 1, data: { n }, metadata: {} });
  const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

  it('does not create a missing file, nor its directory', () => {
    const path = join(dir, 'absent', 'ledger.sqlite');
    expect(() => new SqliteEventStore({ path, readonly: true })).toThrow();
    expect(existsSync(join(dir, 'absent'))).toBe(false);
  });

  it('reads what was written, refuses to append, and leaves the file as it was', async () => {
    const path = join(dir, 'ledger.sqlite');
    const writer = new SqliteEventStore({ path });
    await writer.appendToStream('a', [event(1), event(2)], 'no_stream');
    await writer.close();
    const before = digest(path);

    const reader = new SqliteEventStore({ path, readonly: true });
    expect((await reader.readStream('a')).map((stored) => stored.data)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(await reader.headPosition()).toBe(2n);
    await expect(reader.appendToStream('b', [event(3)], 'no_stream')).rejects.toThrow(/readonly/);
    await reader.close();
    expect(digest(path)).toBe(before);
  });
});

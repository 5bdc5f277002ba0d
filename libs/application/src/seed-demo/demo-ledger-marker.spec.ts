import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@ledger/event-store';
import { ChainedEventStore } from '@ledger/integrity';
import { WritePipeline } from '../write-pipeline';
import { DEMO_LEDGER_EVENT_TYPE, DEMO_LEDGER_STREAM, markAsDemoLedger } from './demo-ledger-marker';

/** Only an empty ledger, or one marked as a demo, may receive the synthetic demo ledger. */
describe('marking a ledger as a demo before seeding it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-demo-marker-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const storeAt = (name: string) => new ChainedEventStore(new SqliteEventStore({ path: join(dir, name) }));

  it('marks an empty ledger first, and lets a marked one be seeded again without a second mark', async () => {
    const store = storeAt('empty.sqlite');
    expect(await markAsDemoLedger(new WritePipeline(store), 'the demo ledger')).toBe('marked');
    expect(await markAsDemoLedger(new WritePipeline(store), 'the demo ledger')).toBe('already marked');
    const marks = await store.readStream(DEMO_LEDGER_STREAM);
    expect(marks.map((event) => [event.type, event.schemaVersion, event.position])).toEqual([[DEMO_LEDGER_EVENT_TYPE, 1, 1n]]);
    await store.close();
  });

  it('refuses a ledger that holds anything else, naming it, and appends nothing', async () => {
    const store = storeAt('real.sqlite');
    await store.appendToStream('access-control', [{ eventId: 'u-1', type: 'UserAdded', schemaVersion: 1, data: { userId: 'admin', displayName: 'admin', role: 'admin' }, metadata: {} }], 'no_stream');
    await expect(markAsDemoLedger(new WritePipeline(store), '/srv/ledger/ledger.sqlite')).rejects.toThrow(
      'seed-demo refused: /srv/ledger/ledger.sqlite is not empty (1 event) and not a demo ledger; seed an empty data directory (npm run demo uses data-demo/)',
    );
    expect(await store.headPosition()).toBe(1n);
    await store.close();
  });
});

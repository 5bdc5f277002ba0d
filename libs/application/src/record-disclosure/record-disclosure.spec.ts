import { PERSONAL_DATA_DISCLOSURES_STREAM } from '@ledger/domain';
import { SqliteEventStore } from '@ledger/event-store';
import { ChainedEventStore, verifyLog } from '@ledger/integrity';
import { join } from 'node:path';
import { ledgerOnDisk } from '../testing/ledger-on-disk';
import { WritePipeline } from '../write-pipeline';
import { RecordDisclosureCommand, RecordDisclosureHandler } from './record-disclosure';

const lookUp = { route: 'GET /beneficiaries/:studentKey/history', path: '/beneficiaries/654002201001010015/history', format: 'json' as const, records: 1 };

describe('record a disclosure', () => {
  let ledger: ReturnType<typeof ledgerOnDisk>;
  beforeEach(() => (ledger = ledgerOnDisk()));
  afterEach(() => ledger.close());

  it('appends one PersonalDataDisclosed per answer to the disclosures stream, with the caller and request in its metadata, a repeated key too', async () => {
    const handler = new RecordDisclosureHandler(ledger.pipeline);
    const write = { ...ledger.write, idempotencyKey: 'same-key', causationId: 'req-1' };
    await handler.execute(new RecordDisclosureCommand(lookUp, write));
    await handler.execute(new RecordDisclosureCommand(lookUp, write));
    const stream = await ledger.store.readStream(PERSONAL_DATA_DISCLOSURES_STREAM);
    expect(stream.map((event) => [event.type, event.schemaVersion, event.revision])).toEqual([
      ['PersonalDataDisclosed', 1, 0],
      ['PersonalDataDisclosed', 1, 1],
    ]);
    expect(stream[0].data).toEqual({ ...lookUp, path: '/beneficiaries/[redacted]/history' });
    expect(stream[0].metadata).toMatchObject({ actor: ledger.write.actor, causationId: 'req-1' });
    expect(stream[0].metadata).not.toHaveProperty('idempotencyKey');
  });

  it('follows another process appending to the stream meanwhile (its own pipeline over the same file), and the hash chain holds', async () => {
    const other = new ChainedEventStore(new SqliteEventStore({ path: join(ledger.dir, 'ledger.sqlite') }));
    const here = new RecordDisclosureHandler(ledger.pipeline);
    const there = new RecordDisclosureHandler(new WritePipeline(other));
    await here.execute(new RecordDisclosureCommand(lookUp, ledger.write));
    await there.execute(new RecordDisclosureCommand(lookUp, ledger.write));
    await there.execute(new RecordDisclosureCommand(lookUp, ledger.write));
    await here.execute(new RecordDisclosureCommand(lookUp, ledger.write));
    expect((await ledger.store.readStream(PERSONAL_DATA_DISCLOSURES_STREAM)).map((event) => event.revision)).toEqual([0, 1, 2, 3]);
    expect((await verifyLog(ledger.store)).ok).toBe(true);
    await other.close();
  });

  it('records 300 concurrent disclosures, each once, in few appends (those waiting go together), the chain whole', async () => {
    const handler = new RecordDisclosureHandler(ledger.pipeline);
    const outcomes = await Promise.all(Array.from({ length: 300 }, (_, i) => handler.execute(new RecordDisclosureCommand({ ...lookUp, records: i }, ledger.write))));
    const stream = await ledger.store.readStream(PERSONAL_DATA_DISCLOSURES_STREAM);
    expect(stream).toHaveLength(300);
    expect(outcomes.map((outcome) => (outcome.events[0].data as { records: number }).records)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(new Set(stream.map((event) => event.eventId)).size).toBe(300);
    // One commit time for many: they went in a few appends, not 300.
    expect(new Set(stream.map((event) => event.recordedAt)).size).toBeLessThan(30);
    expect((await verifyLog(ledger.store)).ok).toBe(true);
  });
});

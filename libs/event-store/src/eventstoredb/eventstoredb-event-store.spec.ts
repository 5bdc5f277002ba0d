import { randomUUID } from 'node:crypto';
import { eventStoreContract } from '../../../../test/event-store.contract';
import { FakeEventStoreDb } from '../../../../test/support/fake-eventstoredb';
import { EventStoreDbEventStore } from './eventstoredb-event-store';

/**
 * The port's contract on the EventStoreDB adapter: against a real server when
 * LEDGER_TEST_EVENTSTOREDB_URL is set (npm run test:eventstoredb), else against the in-process
 * gRPC test double, through the real client either way.
 */
const realServer = process.env.LEDGER_TEST_EVENTSTOREDB_URL;
let fake: FakeEventStoreDb | undefined;

beforeAll(async () => {
  if (realServer) return;
  fake = new FakeEventStoreDb();
  await fake.start();
});
afterAll(async () => {
  await fake?.stop();
});

const url = () => realServer ?? fake!.connectionString;

// Each store of the suite gets streams of its own, so a real server's other streams stay out of the way.
eventStoreContract(realServer ? `EventStoreDB at ${realServer}` : 'EventStoreDB (in-process gRPC test double)', async () =>
  new EventStoreDbEventStore(url(), { streamPrefix: `ledger-test-${randomUUID()}-` }),
);

describe('EventStoreDB adapter', () => {
  it('keeps to the streams of its prefix, in reads and subscriptions', async () => {
    const mine = new EventStoreDbEventStore(url(), { streamPrefix: `mine-${randomUUID()}-` });
    const theirs = new EventStoreDbEventStore(url(), { streamPrefix: `theirs-${randomUUID()}-` });
    const event = (type: string) => ({ eventId: randomUUID(), type, schemaVersion: 2, data: { type }, metadata: { actor: { id: 'a', role: 'r' } } });
    await mine.appendToStream('s', [event('Mine')], 'no_stream');
    await theirs.appendToStream('s', [event('Theirs')], 'no_stream');
    const log = await mine.readAll({ maxCount: 100 });
    expect(log.map((e) => [e.streamId, e.type, e.schemaVersion])).toEqual([['s', 'Mine', 2]]);
    expect(await mine.headPosition()).toBe(log[0].position);
    expect((await theirs.readStream('s')).map((e) => e.type)).toEqual(['Theirs']);
    await mine.close();
    await theirs.close();
  });
});

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

eventStoreContract(realServer ? `EventStoreDB at ${realServer}` : 'EventStoreDB (in-process gRPC test double)', async () =>
  new EventStoreDbEventStore(realServer ?? fake!.connectionString),
);

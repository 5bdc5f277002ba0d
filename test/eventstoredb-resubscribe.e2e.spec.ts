import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beneficiaryDecider, parseRecordDisbursement, parseReverseDisbursement, LedgerEvent, LocalDate, EVENT_SCHEMA_VERSIONS } from '@ledger/domain';
import { shippedCatalog } from '../libs/domain/src/testing/catalog.fixture';
import { EventStoreDbEventStore, StoreUnavailableError, StoredEvent, Subscription } from '@ledger/event-store';
import { ALL_PROJECTIONS, ReadModels, dumpTables, rebuildReadModels } from '@ledger/projections';
import { FakeEventStoreDb } from './support/fake-eventstoredb';
import { boardingPayment, residentId } from './support/students';

/**
 * The server goes away in the middle of a catch-up subscription and comes back: the subscription
 * resubscribes by itself from its last position, and the read models end exactly equal to a
 * rebuild — no event lost, none delivered twice.
 */
describe('an EventStoreDB subscription across a server restart', () => {
  const catalog = shippedCatalog();
  const today = '2023-12-31' as LocalDate;
  const dir = mkdtempSync(join(tmpdir(), 'ledger-resubscribe-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Pays student i (and reverses every fifth payment) through the real domain, straight into the store. */
  async function record(store: EventStoreDbEventStore, i: number) {
    const streamId = `beneficiary-${residentId(i)}`;
    const paid = beneficiaryDecider.decide(parseRecordDisbursement({ ...boardingPayment(i), disbursementId: `d-${i}` }), beneficiaryDecider.initialState(), { catalog, today });
    const events: LedgerEvent[] = [...paid];
    if (i % 5 === 0) {
      const state = beneficiaryDecider.evolve(beneficiaryDecider.initialState(), paid[0]);
      events.push(...beneficiaryDecider.decide(parseReverseDisbursement({ student: { residentId: residentId(i) }, disbursementId: `d-${i}`, reason: 'test', valueDate: '2022-11-01' }), state, { catalog, today }));
    }
    await store.appendToStream(
      streamId,
      events.map((event) => ({ eventId: crypto.randomUUID(), type: event.type, schemaVersion: EVENT_SCHEMA_VERSIONS[event.type], data: event.data, metadata: {} })),
      'no_stream',
    );
  }

  async function untilAvailable(write: () => Promise<void>, deadline = Date.now() + 10_000): Promise<void> {
    for (;;) {
      try {
        return await write();
      } catch (error) {
        if (!(error instanceof StoreUnavailableError) || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  it('loses nothing and repeats nothing', async () => {
    const fake = new FakeEventStoreDb();
    await fake.start();
    const store = new EventStoreDbEventStore(fake.connectionString, { resubscribe: { initialDelayMs: 20, maxDelayMs: 200 } });
    for (let i = 0; i < 300; i++) await record(store, i);

    const models = new ReadModels(join(dir, 'live.sqlite'), ALL_PROJECTIONS);
    let subscription: Subscription | undefined;
    let rebuilt: ReadModels | undefined;
    // Everything is stopped however the test ends: a gRPC channel left open keeps jest from exiting.
    try {
      const delivered: string[] = [];
      let restarted: Promise<void> | undefined;
      subscription = store.subscribeToAll(
        async (page: StoredEvent[]) => {
          models.applyPage(page);
          delivered.push(...page.map((event) => event.eventId));
          if (!restarted) {
            // The server dies after the first batch of the catch-up, and is back 300 ms later.
            await fake.stop();
            restarted = new Promise((resolve) => setTimeout(resolve, 300)).then(() => fake.start());
          }
        },
        { batchSize: 25 },
      );

      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(delivered.length).toBeLessThan(360); // stopped mid-way through the history
      await restarted;
      // Right after the server is back, the client's channel may still be reconnecting: the store says
      // so (StoreUnavailableError, a 503 to a caller), and a writer tries again.
      await untilAvailable(() => record(store, 300));
      for (let i = 301; i < 400; i++) await record(store, i);
      await subscription.caughtUp();

      const log: StoredEvent[] = [];
      for (let page = await store.readAll({ maxCount: 1000 }); page.length > 0; page = await store.readAll({ after: page[page.length - 1].position, maxCount: 1000 })) {
        log.push(...page);
      }
      expect(log).toHaveLength(480); // 400 payments, 80 reversals
      expect(delivered).toEqual(log.map((event) => event.eventId));

      rebuilt = await rebuildReadModels(store, join(dir, 'rebuilt.sqlite'), ALL_PROJECTIONS);
      const tables = ALL_PROJECTIONS.flatMap((projection) => projection.tables);
      expect(dumpTables(models.db, tables)).toEqual(dumpTables(rebuilt.db, tables));
      expect(dumpTables(models.db, ['aid_lines']).aid_lines).toHaveLength(400);
    } finally {
      await subscription?.stop();
      await rebuilt?.close();
      await models.close();
      await store.close();
      await fake.stop();
    }
  });
});

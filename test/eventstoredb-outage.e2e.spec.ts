import { FakeEventStoreDb } from './support/fake-eventstoredb';
import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment } from './support/students';

/** While EventStoreDB cannot be reached the service answers 503, records nothing and is not ready; then it recovers. */
describe('the service when EventStoreDB goes away', () => {
  it('answers 503 while the database is down and works again when it is back', async () => {
    const fake = new FakeEventStoreDb();
    await fake.start();
    const ledger = await LedgerUnderTest.start({
      LEDGER_EVENT_STORE: 'eventstoredb',
      LEDGER_EVENTSTOREDB_URL: `${fake.connectionString}&defaultDeadline=2000`,
    });
    await ledger.http.post('/disbursements').send(boardingPayment(1)).expect(201);
    const before = fake.log.events.length;

    await fake.stop();
    const write = await ledger.http.post('/disbursements').send(boardingPayment(2));
    expect({ status: write.status, code: write.body.code }).toEqual({ status: 503, code: 'STORE_UNAVAILABLE' });
    const read = await ledger.http.get('/totals');
    expect(read.status).toBe(503);
    expect(fake.log.events.length).toBe(before);
    const notReady = await ledger.as('anonymous').get('/health/ready').expect(503);
    expect(notReady.body).toMatchObject({ ready: false, reasons: [expect.stringMatching(/^the event store is unreachable: /)] });
    // The metrics still answer (that is when they are wanted), without the figures read from the store.
    const metrics = await ledger.as('anonymous').get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^ledger_http_requests_total\{method="POST",route="\/disbursements",status="503"\} 1$/m);
    expect(metrics.text).toMatch(/^ledger_log_head_position nan$/im);
    expect(metrics.text).not.toMatch(/^ledger_projection_lag_events/m);

    await fake.start();
    await ledger.http.post('/disbursements').send(boardingPayment(2)).expect(201);
    await ledger.as('anonymous').get('/health/ready').expect(200);
    const totals = await ledger.http.get('/totals').query({ fiscalYear: 2022 }).expect(200);
    expect(totals.body.totals[0].net).toMatchObject({ students: 2, amount: { yuan: '1000.00' } });
    await ledger.stop();
    await fake.stop();
  });
});

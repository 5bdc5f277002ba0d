import { EVENT_STORE, READ_MODELS } from '@ledger/application';
import { EventStore } from '@ledger/event-store';
import { ReadModels } from '@ledger/projections';
import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment } from './support/students';

/** One sample of the Prometheus text format: `name{labels} value`. */
function sample(metrics: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of metrics.split('\n')) {
    const match = line.match(/^([a-z_]+)(?:\{(.*)\})? (\S+)$/);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, key, value]) => [key, value]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

describe('operating the service: logs, metrics, readiness', () => {
  const lines: string[] = [];
  let ledger: LedgerUnderTest;
  beforeAll(async () => {
    ledger = await LedgerUnderTest.start({}, { logDestination: { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)) } });
  });
  afterAll(() => ledger.stop());

  it('logs JSON lines carrying the request id (answered in X-Request-Id, recorded as the events’ causation id) and the correlation id', async () => {
    const response = await ledger.http.post('/disbursements').set('X-Correlation-Id', 'autumn-batch-7').send(boardingPayment(1, { disbursementId: 'log-1' })).expect(201);
    const requestId = response.headers['x-request-id'];
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const given = await ledger.http.get('/totals').set('X-Request-Id', 'lb-trace-0042').expect(200);
    expect(given.headers['x-request-id']).toBe('lb-trace-0042');

    const parsed = lines.map((line) => JSON.parse(line));
    const written = parsed.find((entry) => entry.req?.id === requestId);
    expect(written).toMatchObject({ level: 'info', correlationId: 'autumn-batch-7', actor: 'officer', req: { method: 'POST', url: '/disbursements' }, res: { statusCode: 201 }, msg: expect.stringMatching(/^POST \/disbursements 201 [\d.]+ ms$/) });
    expect(typeof written.time).toBe('string');
    expect(parsed.find((entry) => entry.req?.id === 'lb-trace-0042')).toMatchObject({ correlationId: 'lb-trace-0042', req: { url: '/totals' } });

    const [event] = response.body.events;
    const stored = (await ledger.app.get<EventStore>(EVENT_STORE).readAll({ after: BigInt(event.position) - 1n, maxCount: 1 }))[0];
    expect(stored.metadata).toMatchObject({ correlationId: 'autumn-batch-7', causationId: requestId });
  });

  it('counts commands by type and outcome, appends, events per second, HTTP requests and projection lag', async () => {
    for (let i = 10; i < 40; i++) await ledger.http.post('/disbursements').send(boardingPayment(i)).expect(201);
    for (let i = 40; i < 43; i++) await ledger.http.post('/disbursements').send(boardingPayment(i, { amount: '499.00' })).expect(422);
    await ledger.http.post('/disbursements').set('Idempotency-Key', 'again-1').send(boardingPayment(50)).expect(201);
    await ledger.http.post('/disbursements').set('Idempotency-Key', 'again-1').send(boardingPayment(50)).expect(201);
    await ledger.http.get('/totals').expect(200);

    const scraped = await ledger.as('anonymous').get('/metrics').expect(200);
    expect(scraped.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
    const metrics = scraped.text;
    expect(sample(metrics, 'ledger_commands_total', { command: 'RecordDisbursement', outcome: 'recorded' })).toBe(32);
    expect(sample(metrics, 'ledger_commands_total', { command: 'RecordDisbursement', outcome: 'refused', code: 'AMOUNT_OFF_STANDARD' })).toBe(3);
    expect(sample(metrics, 'ledger_commands_total', { command: 'RecordDisbursement', outcome: 'replayed' })).toBe(1);
    const appends = sample(metrics, 'ledger_append_duration_seconds_count', { result: 'ok' })!;
    const appendSeconds = sample(metrics, 'ledger_append_duration_seconds_sum', { result: 'ok' })!;
    expect(appends).toBeGreaterThanOrEqual(32);
    expect(appendSeconds / appends).toBeGreaterThan(0);
    expect(appendSeconds / appends).toBeLessThan(0.5);
    expect(sample(metrics, 'ledger_events_appended_total')).toBeGreaterThanOrEqual(32);
    expect(sample(metrics, 'ledger_events_per_second')).toBeGreaterThan(0);
    expect(sample(metrics, 'ledger_http_requests_total', { method: 'POST', route: '/disbursements', status: '422' })).toBe(3);
    expect(sample(metrics, 'ledger_projection_lag_events', { projection: 'program-totals' })).toBe(0);
    expect(sample(metrics, 'ledger_log_head_position')).toBe(Number(await ledger.logPosition()));
    expect(sample(metrics, 'ledger_process_resident_memory_bytes')).toBeGreaterThan(10 * 2 ** 20);
  });

  it('is not ready while a projection is behind the log, and ready once it caught up', async () => {
    await ledger.as('anonymous').get('/health/ready').expect(200).expect(({ body }) => expect(body.ready).toBe(true));
    const models = ledger.app.get<ReadModels>(READ_MODELS);
    await models.stop();
    for (let i = 60; i < 65; i++) await ledger.http.post('/disbursements').send(boardingPayment(i)).expect(201);

    const behind = await ledger.as('anonymous').get('/health/ready').expect(503);
    expect(behind.body.ready).toBe(false);
    expect(behind.body.reasons).toContainEqual(expect.stringMatching(/^projection program-totals is at position \d+, the log at \d+$/));
    const lagging = (await ledger.as('anonymous').get('/metrics').expect(200)).text;
    expect(sample(lagging, 'ledger_projection_lag_events', { projection: 'program-totals' })).toBe(5);

    models.start(ledger.app.get(EVENT_STORE));
    let ready;
    for (let attempt = 0; attempt < 50 && ready?.status !== 200; attempt++) {
      ready = await ledger.as('anonymous').get('/health/ready');
      if (ready.status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(ready).toMatchObject({ status: 200, body: { ready: true } });
    const caughtUp = (await ledger.as('anonymous').get('/metrics').expect(200)).text;
    expect(sample(caughtUp, 'ledger_projection_lag_events', { projection: 'program-totals' })).toBe(0);
  });
});

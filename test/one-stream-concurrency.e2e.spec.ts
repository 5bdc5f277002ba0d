import { Agent, request } from 'node:http';
import { AddressInfo } from 'node:net';
import { EVENT_STORE } from '@ledger/application';
import { EventStore } from '@ledger/event-store';
import { LedgerUnderTest } from './support/ledger-app';
import { studentKeyOfStream } from './support/student-records';
import { boardingPayment, residentId } from './support/students';

/**
 * Many requests for one student at once: commands for one stream wait for each other in the
 * service (a queue per stream), so none fails on another's append (no 409 CONCURRENCY_CONFLICT), and
 * the decider sees each one's events before deciding the next (a duplicate is refused as a duplicate).
 */
describe('concurrent writes to one student', () => {
  let ledger: LedgerUnderTest;
  let port: number;
  // Connections opened before the requests, so that the requests reach the service together, as from a busy client pool.
  const agent = new Agent({ keepAlive: true, maxSockets: 50 });
  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
    const server = ledger.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    await Promise.all(Array.from({ length: 50 }, () => call('GET', '/health')));
  });
  afterAll(async () => {
    agent.destroy();
    await ledger.stop();
  });

  /** One request over the pool: its status and JSON body. */
  function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const sent = request(
        { agent, host: '127.0.0.1', port, method, path, headers: { authorization: `Bearer ${ledger.tokens.finance_officer}`, ...(payload && { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }), ...headers } },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode!, body: text ? JSON.parse(text) : undefined }));
        },
      );
      sent.on('error', reject);
      sent.end(payload);
    });
  }

  /** 50 valid payments to one primary pupil: the boarding subsidy and the nutrition plan, each term from spring 2012 to autumn 2024. */
  const student = { residentId: residentId(7, 2008) };
  const payments = Array.from({ length: 50 }, (_, i) => {
    const term = i % 26;
    const year = 2012 + Math.floor(term / 2);
    const spring = term % 2 === 0;
    const period = `${year}-${spring ? 'spring' : 'autumn'}`;
    const valueDate = `${year}-${spring ? '04' : '10'}-20`;
    return i < 26
      ? boardingPayment(7, { student, disbursementId: `board-${period}`, period, valueDate })
      : boardingPayment(7, { student, disbursementId: `meal-${period}`, programCode: 'NUTRITION_IMPROVEMENT', amount: '300.00', payee: { type: 'canteen', name: 'school canteen' }, period, valueDate });
  });

  it('accepts 50 concurrent payments for one student, none refused for a conflict, the stream in one consistent order', async () => {
    const responses = await Promise.all(payments.map((payment) => call('POST', '/disbursements', payment)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 409)).toEqual([]);
    expect(statuses).toEqual(Array(50).fill(201));

    // The student's one record, under the opaque key the first of them was given: every answer names it.
    const streamId = responses[0].body.streamId;
    studentKeyOfStream(streamId);
    const stored = await ledger.app.get<EventStore>(EVENT_STORE).readStream(streamId);
    expect(stored.map((event) => event.revision)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    // Positions grow with revisions, every payment is there once, and each answer names the event as stored.
    expect(stored.every((event, i) => i === 0 || event.position > stored[i - 1].position)).toBe(true);
    expect(new Set(stored.map((event) => (event.data as { disbursementId: string }).disbursementId))).toEqual(new Set(payments.map((payment) => (payment as { disbursementId?: string }).disbursementId)));
    const byEventId = new Map(stored.map((event) => [event.eventId, event]));
    for (const response of responses) {
      const [answered] = response.body.events;
      expect(response.body.streamId).toBe(streamId);
      expect(byEventId.get(answered.eventId)?.revision).toBe(answered.revision);
    }
  });

  it('records one of 20 concurrent identical payments and refuses the others as duplicates', async () => {
    const payment = boardingPayment(8, { period: '2023-autumn', valueDate: '2023-10-20' }); // no disbursementId: each request gets its own
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => call('POST', '/disbursements', payment, i % 2 === 0 ? { 'idempotency-key': `duplicate-${i}` } : {})),
    );
    expect(responses.filter((response) => response.status === 201)).toHaveLength(1);
    const refused = responses.filter((response) => response.status !== 201);
    expect(refused.map((response) => [response.status, response.body.code])).toEqual(Array(19).fill([409, 'DUPLICATE_PAYMENT']));
    const [recorded] = responses.filter((response) => response.status === 201);
    const stored = await ledger.app.get<EventStore>(EVENT_STORE).readStream(recorded.body.streamId);
    expect(stored.map((event) => event.eventId)).toEqual([recorded.body.events[0].eventId]);
    // The duplicates were refused on that record: the student's history by the resident ID is the one payment.
    const history = await ledger.http.get(`/beneficiaries/${residentId(8)}/history`).expect(200);
    expect({ key: history.body.studentKey, events: history.body.events.length }).toEqual({ key: studentKeyOfStream(recorded.body.streamId), events: 1 });
  });
});

import { DomainError, LocalDate, beneficiaryDecider, beneficiaryStreamId, parseRecordDisbursement } from '@ledger/domain';
import { newStudentKey } from '@ledger/personal-data';
import { ledgerOnDisk } from '../testing/ledger-on-disk';
import { KeyedQueue } from './keyed-queue';
import { WritePipeline } from './write-pipeline';
import { commandEventId } from './envelope';

const payment = (i: number, overrides: Record<string, unknown> = {}) =>
  parseRecordDisbursement({
    disbursementId: `d-${i}`, student: { residentId: '654002201001010015' }, schoolCode: '2165000001', stage: 'primary',
    programCode: 'BOARDING_LIVING_SUBSIDY', period: `${2012 + i}-autumn`, amount: '500.00', payee: { type: 'student' }, valueDate: `${2012 + i}-10-20`, ...overrides,
  });

describe('the write pipeline', () => {
  let ledger: ReturnType<typeof ledgerOnDisk>;
  beforeEach(() => (ledger = ledgerOnDisk()));
  afterEach(() => ledger.close());
  const context = () => ({ catalog: ledger.catalog, today: '2030-01-01' as LocalDate });
  // A record under its opaque key, as the student directory files one (its personal fields are sealed with that key's data key).
  const streamId = beneficiaryStreamId(newStudentKey());

  it('runs concurrent commands for one stream one after another: none fails on another’s append', async () => {
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => ledger.pipeline.run(streamId, beneficiaryDecider, context(), payment(i), ledger.write)));
    expect(outcomes.map((outcome) => outcome.result)).toEqual(Array(10).fill('recorded'));
    expect((await ledger.store.readStream(streamId)).map((event) => event.revision)).toEqual([...Array(10).keys()]);
  });

  it('replays a request by its Idempotency-Key with the events it recorded, ids derived from the key as before', async () => {
    const write = { ...ledger.write, idempotencyKey: 'key-1' };
    const first = await ledger.pipeline.run(streamId, beneficiaryDecider, context(), payment(0), write);
    const again = await ledger.pipeline.run(streamId, beneficiaryDecider, context(), payment(0), write);
    expect(again.result).toBe('replayed');
    expect(again.events.map((event) => event.eventId)).toEqual(first.events.map((event) => event.eventId));
    // The namespace of idempotency-derived ids is fixed: these are the ids earlier releases wrote.
    expect(first.events[0].eventId).toBe('12498ac8-e893-52e7-8215-b72eca30f15d');
    expect(commandEventId(write, 0)).toBe('12498ac8-e893-52e7-8215-b72eca30f15d');
    // The same key for another request (another body: another request hash) is refused.
    const other = ledger.pipeline.run(streamId, beneficiaryDecider, context(), payment(1), { ...write, requestHash: 'another body' });
    await expect(other).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('puts every event in its envelope: schema version from the registry, the write context in the metadata', async () => {
    const [event] = (await ledger.pipeline.run(streamId, beneficiaryDecider, context(), payment(0), ledger.write)).events;
    expect(event.schemaVersion).toBe(1);
    expect(Object.keys(event.metadata).filter((key) => key !== 'integrity')).toEqual(['actor', 'correlationId', 'causationId', 'requestHash']);
  });

  it('tells the observer how each command ended', async () => {
    const ended: string[] = [];
    const observed = new WritePipeline(ledger.store, { commandEnded: (command, ending, code) => ended.push(`${command} ${ending}${code ? ` ${code}` : ''}`) });
    await observed.run(streamId, beneficiaryDecider, context(), payment(0), ledger.write);
    await observed.run(streamId, beneficiaryDecider, context(), payment(0, { disbursementId: 'd-again' }), ledger.write).catch((error) => {
      if (!(error instanceof DomainError)) throw error;
    });
    expect(ended).toEqual(['RecordDisbursement recorded', 'RecordDisbursement refused DUPLICATE_PAYMENT']);
  });
});

describe('the keyed queue', () => {
  it('runs one key’s tasks in order, other keys alongside, and forgets a key once idle', async () => {
    const queue = new KeyedQueue();
    const order: string[] = [];
    const task = (name: string, ms: number) => () => new Promise<string>((resolve) => setTimeout(() => (order.push(name), resolve(name)), ms));
    const failing = () => Promise.reject(new Error('refused'));
    const results = await Promise.allSettled([queue.run('a', task('a1', 20)), queue.run('a', failing), queue.run('a', task('a2', 1)), queue.run('b', task('b1', 5))]);
    expect(order).toEqual(['b1', 'a1', 'a2']);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.size).toBe(0);
  });
});

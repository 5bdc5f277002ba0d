import { randomBytes, randomUUID } from 'node:crypto';
import { canonicalJson } from '@ledger/integrity';
import { isSealed, newStudentKey, openSeal, seal, sealAad } from '@ledger/personal-data';
import {
  EventStore,
  EventToAppend,
  StoredEvent,
  WrongExpectedVersionError,
  readAllPages,
} from '@ledger/event-store';

/**
 * The behaviour every event-store adapter must show. Run it from an adapter's spec with a
 * factory that gives a fresh, empty store (and disposes of it).
 */
export function eventStoreContract(name: string, createStore: () => Promise<EventStore>) {
  describe(`event store contract: ${name}`, () => {
    let store: EventStore;
    beforeEach(async () => {
      store = await createStore();
    });
    afterEach(async () => {
      await store.close();
    });

    const event = (type = 'Happened', data: unknown = { n: 1 }): EventToAppend => ({
      eventId: randomUUID(),
      type,
      schemaVersion: 1,
      data,
      metadata: { actor: { id: 'tester', role: 'finance_officer' }, correlationId: 'c-1' },
    });
    const stream = () => `test-${randomUUID()}`;

    it('appends to a new stream and reads it back in order with data and metadata', async () => {
      const id = stream();
      const events = [event('A', { amount: '312.50' }), event('B'), event('C')];
      const result = await store.appendToStream(id, events, 'no_stream');
      expect(result.nextExpectedVersion).toBe(2);
      expect(result.alreadyAppended).toBe(false);
      const read = await store.readStream(id);
      expect(read.map((e) => [e.type, e.revision, e.eventId])).toEqual(events.map((e, i) => [e.type, i, e.eventId]));
      expect(read[0].data).toEqual({ amount: '312.50' });
      expect(read[0].metadata).toEqual(events[0].metadata);
      expect(read[0].schemaVersion).toBe(1);
      expect(new Date(read[0].recordedAt).toISOString()).toBe(read[0].recordedAt);
    });

    it('keeps a student\'s sealed fields byte for byte, in a stream named by an opaque key: read back, they open under the data key', async () => {
      // As the write pipeline appends a student's event: the stream named by the key, the personal fields sealed, amounts in clear.
      const studentKey = newStudentKey();
      const dataKey = randomBytes(32);
      const sealedField = (path: string, value: string) => seal(dataKey, value, sealAad(studentKey, path));
      const data = {
        disbursementId: 'd-1',
        beneficiary: { key: studentKey, residentId: sealedField('beneficiary.residentId', '654002201001010015'), name: sealedField('beneficiary.name', '阿依古丽·买买提') },
        payee: { type: 'guardian', account: sealedField('payee.account', '6217000000000000001'), name: sealedField('payee.name', '买买提·吐尔逊') },
        amount: '312.50',
      };
      const id = `beneficiary-${studentKey}`;
      await store.appendToStream(id, [event('DisbursementRecorded', data)], 'no_stream');
      const [read] = await store.readStream(id);
      const log: StoredEvent[] = [];
      for await (const page of readAllPages(store)) log.push(...page);
      const fromLog = log.find((stored) => stored.streamId === id)!;
      for (const stored of [read, fromLog]) {
        // The hash chain covers the canonical form of what was appended: the store must give back exactly that.
        expect(canonicalJson(stored.data)).toBe(canonicalJson(data));
        const back = stored.data as typeof data;
        expect([back.beneficiary.residentId, back.beneficiary.name, back.payee.account, back.payee.name].every(isSealed)).toBe(true);
        expect(openSeal(dataKey, back.beneficiary.name, sealAad(studentKey, 'beneficiary.name'))).toBe('阿依古丽·买买提');
        expect(openSeal(dataKey, back.payee.account, sealAad(studentKey, 'payee.account'))).toBe('6217000000000000001');
      }
    });

    it('reads a stream from a revision on', async () => {
      const id = stream();
      await store.appendToStream(id, [event('A'), event('B'), event('C')], 'no_stream');
      expect((await store.readStream(id, { fromRevision: 1 })).map((e) => e.type)).toEqual(['B', 'C']);
      expect(await store.readStream(id, { fromRevision: 3 })).toEqual([]);
    });

    it('reads a stream that does not exist as empty', async () => {
      expect(await store.readStream(stream())).toEqual([]);
    });

    it('refuses no_stream when the stream exists', async () => {
      const id = stream();
      await store.appendToStream(id, [event()], 'no_stream');
      await expect(store.appendToStream(id, [event()], 'no_stream')).rejects.toBeInstanceOf(WrongExpectedVersionError);
    });

    it('appends at the exact expected revision and refuses a stale one', async () => {
      const id = stream();
      await store.appendToStream(id, [event(), event()], 'no_stream');
      await store.appendToStream(id, [event()], 1);
      const stale = store.appendToStream(id, [event()], 1);
      await expect(stale).rejects.toMatchObject({ name: 'WrongExpectedVersionError', actual: 2 });
      expect(await store.readStream(id)).toHaveLength(3);
    });

    it('refuses an expected revision on a missing stream', async () => {
      await expect(store.appendToStream(stream(), [event()], 0)).rejects.toBeInstanceOf(WrongExpectedVersionError);
    });

    it('appends with any, whatever the stream holds', async () => {
      const id = stream();
      await store.appendToStream(id, [event()], 'any');
      await store.appendToStream(id, [event()], 'any');
      expect(await store.readStream(id)).toHaveLength(2);
    });

    it('is idempotent by event id: a repeated append writes nothing and answers as the first', async () => {
      const id = stream();
      const events = [event(), event()];
      const first = await store.appendToStream(id, events, 'no_stream');
      const again = await store.appendToStream(id, events, 'no_stream');
      expect(again.alreadyAppended).toBe(true);
      expect(again.events.map((e) => e.position)).toEqual(first.events.map((e) => e.position));
      expect(await store.readStream(id)).toHaveLength(2);
    });

    it('lets exactly one of many concurrent appends at the same revision win', async () => {
      const id = stream();
      await store.appendToStream(id, [event()], 'no_stream');
      const attempts = await Promise.allSettled(Array.from({ length: 20 }, () => store.appendToStream(id, [event()], 0)));
      expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
      expect(attempts.filter((a) => a.status === 'rejected' && a.reason instanceof WrongExpectedVersionError)).toHaveLength(19);
      expect(await store.readStream(id)).toHaveLength(2);
    });

    it('reads the global log in order, in pages, from an exclusive position', async () => {
      const a = stream();
      const b = stream();
      await store.appendToStream(a, [event('A1'), event('A2')], 'no_stream');
      await store.appendToStream(b, [event('B1')], 'no_stream');
      await store.appendToStream(a, [event('A3')], 1);
      const all: StoredEvent[] = [];
      for await (const page of readAllPages(store, 0n, 2)) {
        expect(page.length).toBeLessThanOrEqual(2);
        all.push(...page);
      }
      const mine = all.filter((e) => e.streamId === a || e.streamId === b);
      expect(mine.map((e) => e.type)).toEqual(['A1', 'A2', 'B1', 'A3']);
      for (let i = 1; i < all.length; i++) expect(all[i].position > all[i - 1].position).toBe(true);
      const after = await store.readAll({ after: mine[1].position, maxCount: 10 });
      expect(after.filter((e) => e.streamId === a || e.streamId === b).map((e) => e.type)).toEqual(['B1', 'A3']);
      expect(await store.headPosition()).toBe(all[all.length - 1].position);
    });

    it('says whether its positions are consecutive, and keeps its word: 1, 2, 3, … with no gap, failed appends included', async () => {
      // A store that promises consecutive positions lets a missing position prove an event was removed (verifyLog, the witness).
      expect(typeof store.consecutivePositions).toBe('boolean');
      const id = stream();
      await store.appendToStream(id, [event(), event()], 'no_stream');
      await expect(store.appendToStream(id, [event()], 0)).rejects.toBeInstanceOf(WrongExpectedVersionError);
      await Promise.allSettled(Array.from({ length: 5 }, () => store.appendToStream(id, [event(), event()], 1)));
      await store.appendToStream(stream(), [event()], 'no_stream');
      const positions: bigint[] = [];
      for await (const page of readAllPages(store, 0n, 3)) positions.push(...page.map((e) => e.position));
      for (let i = 1; i < positions.length; i++) expect(positions[i] > positions[i - 1]).toBe(true);
      if (store.consecutivePositions) expect(positions).toEqual(positions.map((_, i) => BigInt(i + 1)));
    });

    it('delivers the log to a subscription: history first, then live events, in order', async () => {
      const id = stream();
      await store.appendToStream(id, [event('Before')], 'no_stream');
      const seen: string[] = [];
      const subscription = store.subscribeToAll((events) => {
        for (const e of events) if (e.streamId === id) seen.push(e.type);
      });
      await subscription.caughtUp();
      expect(seen).toEqual(['Before']);
      await store.appendToStream(id, [event('Live1')], 0);
      await store.appendToStream(id, [event('Live2')], 1);
      await subscription.caughtUp();
      expect(seen).toEqual(['Before', 'Live1', 'Live2']);
      await subscription.stop();
    });

    it('resumes a subscription after a stored position, skipping what was handled', async () => {
      const id = stream();
      const first = await store.appendToStream(id, [event('Old')], 'no_stream');
      await store.appendToStream(id, [event('New')], 0);
      const seen: string[] = [];
      const subscription = store.subscribeToAll(
        (events) => {
          for (const e of events) if (e.streamId === id) seen.push(e.type);
        },
        { after: first.events[0].position },
      );
      await subscription.caughtUp();
      expect(seen).toEqual(['New']);
      await subscription.stop();
    });

    it('stops a subscription whose handler fails, reporting the error', async () => {
      await store.appendToStream(stream(), [event()], 'no_stream');
      const subscription = store.subscribeToAll(() => {
        throw new Error('projection bug');
      });
      await expect(subscription.done).rejects.toThrow('projection bug');
    });
  });
}

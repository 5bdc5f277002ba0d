import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandRunner, writeContextFor } from '@ledger/application';
import { beneficiaryDecider, beneficiaryStreamId, parseRecordDisbursement, parseReverseDisbursement } from '@ledger/domain';
import { SqliteEventStore } from '@ledger/event-store';
import { ChainedEventStore } from '@ledger/integrity';
import { ALL_PROJECTIONS, ReadModels, queryProgramTotals, replayReadModels } from '@ledger/projections';
import { shippedCatalog } from '../libs/domain/src/testing/catalog.fixture';
import { boardingPayment, residentId } from './support/students';

/**
 * Events recorded over several days; the live totals are noted at the end of each day. Replaying
 * the log up to each date gives exactly the totals that were live that evening.
 */
describe('replay up to a date', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-replay-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('equals the live totals as they stood at the end of each day', async () => {
    let clock = new Date('2022-09-20T10:00:00+08:00');
    const store = new ChainedEventStore(new SqliteEventStore({ path: join(dir, 'ledger.sqlite'), now: () => clock }));
    const runner = new CommandRunner(store);
    const context = { catalog: shippedCatalog() };
    const write = writeContextFor({ id: 'officer', role: 'finance_officer' }, 'test');
    const pay = (i: number, overrides: Record<string, unknown> = {}) => {
      // Paid the day it is recorded: a reversal (dated the day it is recorded) is never before its payment.
      const command = parseRecordDisbursement({ ...boardingPayment(i), disbursementId: `r-${i}`, valueDate: clock.toISOString().slice(0, 10), ...overrides });
      return runner.run(beneficiaryStreamId(command.data.student.key), beneficiaryDecider, context, command, write);
    };
    const reverse = (i: number) => {
      const command = parseReverseDisbursement({ student: { residentId: residentId(i) }, disbursementId: `r-${i}`, reason: 'wrong card', valueDate: clock.toISOString().slice(0, 10) });
      return runner.run(beneficiaryStreamId(command.data.student.key), beneficiaryDecider, context, command, write);
    };

    const live = new ReadModels(join(dir, 'live.sqlite'), ALL_PROJECTIONS);
    live.start(store);
    const days = ['2022-09-20', '2022-10-08', '2022-10-31', '2022-11-15'];
    const evenings: Record<string, unknown> = {};
    for (const [d, day] of days.entries()) {
      clock = new Date(`${day}T10:00:00+08:00`);
      for (let i = d * 30; i < d * 30 + 30; i++) await pay(i, i % 3 === 0 ? { stage: 'junior', amount: '625.00', schoolCode: '3165000001' } : {});
      if (d > 0) for (let i = (d - 1) * 30; i < (d - 1) * 30 + 5; i++) await reverse(i);
      clock = new Date(`${day}T23:30:00+08:00`);
      await pay(1000 + d);
      await live.waitFor(await store.headPosition());
      evenings[day] = queryProgramTotals(live.db, {});
    }
    // Something on the next morning must not count for the evening before.
    clock = new Date('2022-11-16T00:30:00+08:00');
    await pay(2000);

    for (const day of days) {
      const replay = await replayReadModels(store, join(dir, `replay-${day}.sqlite`), ALL_PROJECTIONS, { untilDate: day });
      expect({ day, totals: queryProgramTotals(replay.models.db, {}) }).toEqual({ day, totals: evenings[day] });
      await replay.models.close();
    }
    const october = (evenings['2022-10-31'] as Array<{ net: { students: number } }>)[0];
    expect(october.net.students).toBe(30 * 3 + 3 - 10); // three days of 30 and one late payment each, ten reversed

    const byPosition = await replayReadModels(store, join(dir, 'replay-position.sqlite'), ALL_PROJECTIONS, { untilPosition: 5n });
    expect(byPosition.events).toBe(5);
    await byPosition.models.close();
    await live.close();
    await store.close();
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WritePipeline, writeContextFor } from '@ledger/application';
import {
  budgetDecider,
  budgetStreamId,
  beneficiaryDecider,
  beneficiaryStreamId,
  LocalDate,
  parseAllocateBudget,
  parseApproveAid,
  parseRecordDisbursement,
  parseRecordLoanDisbursement,
  parseRecordLoanRepayment,
  parseReverseDisbursement,
} from '@ledger/domain';
import { SqliteEventStore } from '@ledger/event-store';
import { ChainedEventStore } from '@ledger/integrity';
import { ALL_PROJECTIONS, ReadModels, pointInTimeBasis, queryProgramTotals, replayReadModels } from '@ledger/projections';
import { shippedCatalog } from '../libs/domain/src/testing/catalog.fixture';
import { boardingPayment, residentId, schoolCode } from './support/students';

/**
 * Events recorded over several days; the live totals are noted at the end of each day. Replaying
 * the log up to each date gives exactly the totals that were live that evening.
 */
describe('replay as recorded by the end of a day', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-replay-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('equals the live totals as they stood at the end of each day', async () => {
    let clock = new Date('2022-09-20T10:00:00+08:00');
    const store = new ChainedEventStore(new SqliteEventStore({ path: join(dir, 'ledger.sqlite'), now: () => clock }));
    const runner = new WritePipeline(store);
    // Decided on the day each command is recorded: nothing is dated after it.
    const context = { catalog: shippedCatalog(), get today() { return clock.toISOString().slice(0, 10) as LocalDate; } };
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
      const replay = await replayReadModels(store, join(dir, `replay-${day}.sqlite`), ALL_PROJECTIONS, { recordedBy: day });
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

/**
 * History recorded after the fact (imported in January for the year before) and payments valued
 * on other days than they were recorded. "Valued up to D" must equal a ledger into which only the
 * events valued by D were ever recorded; "as recorded by R" one into which only what was recorded
 * by the end of R was; both at once, both filters.
 */
describe('replay by value date, by recording time, and both', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-valued-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  /** Every command is decided on a day after the last date these steps carry. */
  const context = { catalog: shippedCatalog(), today: '2023-12-31' as LocalDate };
  const write = writeContextFor({ id: 'officer', role: 'finance_officer' }, 'test');

  type Step = { recordedOn: string; valuedOn: string; command: any; stream: string; decider: any };
  const steps: Step[] = [];
  const beneficiary = (recordedOn: string, valuedOn: string, command: any) =>
    steps.push({ recordedOn, valuedOn, command, stream: beneficiaryStreamId(command.data.student.key), decider: beneficiaryDecider });
  const pay = (recordedOn: string, i: number, valueDate: string, overrides: Record<string, unknown> = {}) =>
    beneficiary(recordedOn, valueDate, parseRecordDisbursement({ ...boardingPayment(i), disbursementId: `v-${i}`, valueDate, ...overrides }));
  /** A reversal counts from its own value date, and never before the payment it reverses. */
  const reverse = (recordedOn: string, i: number, valueDate: string, paymentValued: string) =>
    beneficiary(recordedOn, valueDate > paymentValued ? valueDate : paymentValued, parseReverseDisbursement({ student: { residentId: residentId(i) }, disbursementId: `v-${i}`, reason: 'wrong card', valueDate }));
  const allocate = (recordedOn: string, id: string, amount: string, valueDate: string) => {
    const command = parseAllocateBudget({ allocationId: id, programCode: 'BOARDING_LIVING_SUBSIDY', fiscalYear: 2022, fundingSource: 'CENTRAL', amount, valueDate });
    steps.push({ recordedOn, valuedOn: valueDate, command, stream: budgetStreamId('BOARDING_LIVING_SUBSIDY', 2022), decider: budgetDecider });
  };
  const student = { residentId: residentId(900, 2002) };

  allocate('2022-09-20', 'central-1', '10000.00', '2022-03-01');
  for (let i = 0; i < 10; i++) pay('2022-09-20', i, '2022-09-15');
  beneficiary('2022-09-20', '2022-09-20', parseRecordLoanDisbursement({ loanId: 'loan-1', student, schoolCode: schoolCode('41', 1), stage: 'undergraduate', programCode: 'ORIGIN_CREDIT_LOAN', period: '2022-2023', amount: '8000.00', payee: { type: 'university_fee_account', name: 'university' }, valueDate: '2022-09-20' }));
  for (let i = 10; i < 20; i++) pay('2022-11-03', i, '2022-10-20', i % 2 ? { stage: 'junior', amount: '625.00', schoolCode: schoolCode('31', 1) } : {});
  for (let i = 100; i < 110; i++) {
    const approvedOn = i < 105 ? '2022-10-31' : '2022-11-01';
    beneficiary('2022-11-03', approvedOn, parseApproveAid({ approvalId: `a-${i}`, student: { residentId: residentId(i) }, schoolCode: schoolCode('21', 2), stage: 'primary', programCode: 'NON_BOARDING_LIVING_SUBSIDY', period: '2022-autumn', amount: '250.00', approvedOn }));
  }
  reverse('2022-11-03', 0, '2022-11-02', '2022-09-15');
  reverse('2022-11-03', 1, '2022-10-05', '2022-09-15');
  reverse('2022-11-03', 10, '2022-10-25', '2022-10-20'); // (one dated before its payment is refused now; valueDateOf's own spec covers old ones)
  // Imported in January: the spring term paid in April, a late allocation, a repayment, a December payment.
  for (let i = 20; i < 30; i++) pay('2023-01-10', i, '2022-04-20', { period: '2022-spring', disbursementId: `v-${i}` });
  allocate('2023-01-10', 'central-2', '5000.00', '2022-11-15');
  beneficiary('2023-01-10', '2022-12-01', parseRecordLoanRepayment({ student, repaymentId: 'r-1', loanId: 'loan-1', amount: '2000.00', valueDate: '2022-12-01' }));
  pay('2023-01-10', 30, '2022-12-20');

  const record = async (path: string, chosen: Step[], clockOf: (step: Step) => Date = () => new Date()) => {
    let clock = new Date();
    const store = new ChainedEventStore(new SqliteEventStore({ path, now: () => clock }));
    const runner = new WritePipeline(store);
    for (const step of chosen) {
      clock = clockOf(step);
      const outcome = await runner.run(step.stream, step.decider, context, step.command, write);
      expect(outcome.result).toBe('recorded');
    }
    return store;
  };
  /** The totals of a ledger into which only these steps were ever recorded. */
  const totalsOfOnly = async (name: string, chosen: Step[]) => {
    const store = await record(join(dir, `${name}.sqlite`), chosen);
    const models = new ReadModels(join(dir, `${name}-models.sqlite`), ALL_PROJECTIONS);
    await models.catchUpFrom(store);
    const totals = queryProgramTotals(models.db, {});
    await models.close();
    await store.close();
    return totals;
  };

  let store: Awaited<ReturnType<typeof record>>;
  beforeAll(async () => {
    store = await record(join(dir, 'ledger.sqlite'), steps, (step) => new Date(`${step.recordedOn}T11:00:00+08:00`));
  });
  afterAll(() => store.close());

  const ANY = 'any day';
  it.each([
    ['2022-04-30', ANY],
    ['2022-10-15', ANY],
    ['2022-10-31', ANY],
    ['2022-12-31', ANY],
    [ANY, '2022-09-20'],
    [ANY, '2022-11-03'],
    ['2022-10-31', '2022-11-03'],
    ['2022-10-15', '2022-11-03'],
    ['2022-04-30', '2022-11-03'],
    ['2022-12-31', '2022-09-20'],
  ])('valued up to %s, as recorded by %s: the totals of a ledger that only ever held those events', async (valuedOn, recordedOn) => {
    const valuedUpTo = valuedOn === ANY ? undefined : valuedOn;
    const recordedBy = recordedOn === ANY ? undefined : recordedOn;
    const chosen = steps.filter((step) => (!valuedUpTo || step.valuedOn <= valuedUpTo) && (!recordedBy || step.recordedOn <= recordedBy));
    expect(chosen.length).toBeGreaterThan(0);
    const expected = await totalsOfOnly(`only-${valuedUpTo}-${recordedBy}`, chosen);
    const replay = await replayReadModels(store, join(dir, `replay-${valuedUpTo}-${recordedBy}.sqlite`), ALL_PROJECTIONS, {
      ...(valuedUpTo && { valuedUpTo }),
      ...(recordedBy && { recordedBy }),
    });
    expect(queryProgramTotals(replay.models.db, {})).toEqual(expected);
    expect(replay.events).toBe(steps.filter((step) => !recordedBy || step.recordedOn <= recordedBy).length);
    expect(replay.valuedLater).toBe(steps.filter((step) => (!recordedBy || step.recordedOn <= recordedBy) && valuedUpTo && step.valuedOn > valuedUpTo).length);
    await replay.models.close();
  });

  it('finds the history imported after the fact by its value dates, which the recording time cannot', async () => {
    const valued = await replayReadModels(store, join(dir, 'valued-april.sqlite'), ALL_PROJECTIONS, { valuedUpTo: '2022-04-30' });
    const recorded = await replayReadModels(store, join(dir, 'recorded-april.sqlite'), ALL_PROJECTIONS, { recordedBy: '2022-04-30' });
    const boarding = queryProgramTotals(valued.models.db, { programCode: 'BOARDING_LIVING_SUBSIDY' });
    expect(boarding.map((row) => [row.net.students, row.net.amount.toString(), row.budgetAllocated?.toString()])).toEqual([[10, '5000.00', '10000.00']]);
    expect(queryProgramTotals(recorded.models.db, {})).toEqual([]);
    await valued.models.close();
    await recorded.models.close();
  });
});

describe('the basis of a point-in-time answer', () => {
  const valued = 'valued up to 2022-10-31: payments, loans, repayments and budget allocations by value date, approvals by approval date, a reversal from its own value date (never before its payment)';
  it.each([
    [{ valuedUpTo: '2022-10-31' }, `${valued}; as recorded up to now (the whole log); replayed from the log`],
    [{ valuedUpTo: '2022-10-31', recordedBy: '2022-11-15' }, `${valued}; as recorded by the end of 2022-11-15 (UTC+8); replayed from the log`],
    [{ recordedBy: '2022-11-15', untilPosition: 300n }, 'as recorded by the end of 2022-11-15 (UTC+8) and up to log position 300; replayed from the log'],
    [{ untilPosition: 300n }, 'as recorded up to log position 300; replayed from the log'],
  ])('%o says exactly what was applied', (limit, basis) => {
    expect(pointInTimeBasis(limit)).toBe(basis);
  });
});

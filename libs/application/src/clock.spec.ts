import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DomainError, LocalDate, parseAllocateBudget, parseRecordDisbursement } from '@ledger/domain';
import { SqliteEventStore } from '@ledger/event-store';
import { shippedCatalog } from '../../domain/src/testing/catalog.fixture';
import { Clock, chinaDateOf, systemClock } from './clock';
import { WritePipeline } from './write-pipeline';
import { BeneficiaryCommands } from './beneficiary-commands';
import { BudgetCommands } from './allocate-budget/allocate-budget';
import { writeContextFor } from './write-context';

describe('the clock: today as the bureau counts it (China time, UTC+8)', () => {
  it('turns the day at midnight in China, which is 16:00 UTC', () => {
    expect(chinaDateOf(new Date('2026-12-01T15:59:59.999Z'))).toBe('2026-12-01');
    expect(chinaDateOf(new Date('2026-12-01T16:00:00.000Z'))).toBe('2026-12-02');
    expect(chinaDateOf(new Date('2026-12-31T23:30:00.000-08:00'))).toBe('2027-01-01');
  });

  it('gives the system’s day in China', () => {
    const before = chinaDateOf(new Date());
    const today = systemClock.today();
    expect([before, chinaDateOf(new Date())]).toContain(today);
  });
});

/** The command path hands the clock's day to the deciders: pinned here, on a real SQLite file. */
describe('commands decided against the clock’s today', () => {
  const catalog = shippedCatalog();
  const write = writeContextFor({ id: 'officer', role: 'finance_officer' }, 'test');
  let dir: string;
  let store: SqliteEventStore;
  let today: LocalDate;
  const clock: Clock = { today: () => today };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-clock-'));
    store = new SqliteEventStore({ path: join(dir, 'ledger.sqlite') });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const refusalOf = (promise: Promise<unknown>) => promise.then(() => 'recorded', (error) => (error instanceof DomainError ? error.code : `failed: ${error}`));

  it('refuses a payment dated after today, and records it once that day has come', async () => {
    const ledger = new BeneficiaryCommands(new WritePipeline(store), catalog, undefined, clock);
    const payment = parseRecordDisbursement({
      disbursementId: 'd-1', student: { residentId: '654002201001010015' }, schoolCode: '2165000001', stage: 'primary',
      programCode: 'BOARDING_LIVING_SUBSIDY', period: '2030-autumn', amount: '625.00', payee: { type: 'student' }, valueDate: '2030-10-20',
    });
    today = '2030-10-19' as LocalDate;
    expect(await refusalOf(ledger.execute(payment, write))).toBe('DATE_IN_FUTURE');
    expect(await store.headPosition()).toBe(0n);
    today = '2030-10-20' as LocalDate;
    expect(await refusalOf(ledger.execute(payment, write))).toBe('recorded');
  });

  it('refuses a budget allocation dated after today', async () => {
    const budgets = new BudgetCommands(new WritePipeline(store), catalog, clock);
    const allocation = parseAllocateBudget({ allocationId: 'b-1', programCode: 'YULU_PLAN', fiscalYear: 2031, fundingSource: 'RURAL_REVITALISATION', amount: '100.00', valueDate: '2030-11-20' });
    today = '2030-11-19' as LocalDate;
    expect(await refusalOf(budgets.execute(allocation, write))).toBe('DATE_IN_FUTURE');
    expect(await store.headPosition()).toBe(0n);
    today = '2030-11-20' as LocalDate;
    expect(await refusalOf(budgets.execute(allocation, write))).toBe('recorded');
  });
});

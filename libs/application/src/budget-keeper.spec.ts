import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DomainError, LocalDate, gb11643CheckCharacter, budgetDecider, budgetStreamId, parseAllocateBudget, parseRecordDisbursement, parseReverseDisbursement } from '@ledger/domain';
import { SqliteEventStore } from '@ledger/event-store';
import { ALL_PROJECTIONS, ReadModels } from '@ledger/projections';
import { shippedCatalog } from '../../domain/src/testing/catalog.fixture';
import { WritePipeline } from './write-pipeline';
import { BeneficiaryCommands } from './beneficiary-commands';
import { writeContextFor } from './write-context';

/** Payments through the real command path on a real SQLite file, many in flight at once, against a budget. */
describe('payments against a budget, many at once', () => {
  const catalog = shippedCatalog();
  const write = writeContextFor({ id: 'officer', role: 'finance_officer' }, 'test');
  let dir: string;
  let store: SqliteEventStore;
  let runner: WritePipeline;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-budget-'));
    store = new SqliteEventStore({ path: join(dir, 'ledger.sqlite') });
    runner = new WritePipeline(store);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const allocate = (amount: string) =>
    runner.run(budgetStreamId('XINJIANG_AID_GRANT', 2022), budgetDecider, { catalog, today: '2023-12-31' as LocalDate }, parseAllocateBudget({ allocationId: `a-${amount}`, programCode: 'XINJIANG_AID_GRANT', fiscalYear: 2022, fundingSource: 'PAIRED_AID', amount, valueDate: '2022-03-01' }), write);
  const residentIdOf = (i: number) => {
    const first17 = `65400220020101${String(i).padStart(3, '0')}`;
    return first17 + gb11643CheckCharacter(first17);
  };
  const grant = (i: number, overrides: Record<string, unknown> = {}) =>
    parseRecordDisbursement({
      disbursementId: `xj-${i}`,
      student: { residentId: residentIdOf(i) },
      schoolCode: '4165010694',
      stage: 'undergraduate',
      programCode: 'XINJIANG_AID_GRANT',
      period: '2022-2023',
      amount: '6000.00',
      payee: { type: 'student' },
      valueDate: '2022-11-05',
      ...overrides,
    });
  const outcomeOf = (promise: Promise<unknown>) => promise.then(() => 'recorded', (error) => (error instanceof DomainError ? error.code : `failed: ${error}`));

  it('records exactly as many of 60 concurrent payments as the budget holds, the rest refused', async () => {
    await allocate('60000.00'); // ten grants of ¥6,000
    const ledger = new BeneficiaryCommands(runner, catalog);
    const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => outcomeOf(ledger.execute(grant(i), write))));
    expect(outcomes.filter((outcome) => outcome === 'recorded')).toHaveLength(10);
    expect(outcomes.filter((outcome) => outcome !== 'recorded')).toEqual(Array(50).fill('BUDGET_EXCEEDED'));
  });

  it('does not refuse a payment for one in flight that then fails: it waits for it and decides on what it did', async () => {
    await allocate('12000.00'); // two grants
    const ledger = new BeneficiaryCommands(runner, catalog);
    await ledger.execute(grant(0), write);
    // In flight together: a duplicate of grant 0 (refused) and a new grant that fits only if the duplicate is not recorded.
    const outcomes = await Promise.all([outcomeOf(ledger.execute(grant(0, { disbursementId: 'xj-0-again' }), write)), outcomeOf(ledger.execute(grant(1), write))]);
    expect(outcomes).toEqual(['DUPLICATE_PAYMENT', 'recorded']);
  });

  it('reads what is paid from the read models where they are, and from the log after them', async () => {
    await allocate('12000.00');
    const models = new ReadModels(join(dir, 'read-models.sqlite'), ALL_PROJECTIONS);
    const ledger = new BeneficiaryCommands(runner, catalog, models);
    await ledger.execute(grant(0), write);
    await models.catchUpFrom(store); // the read models hold grant 0; grant 1 only the log
    await ledger.execute(grant(1), write);
    await ledger.execute(parseReverseDisbursement({ student: { residentId: residentIdOf(0) }, disbursementId: 'xj-0', reason: 'not eligible', valueDate: '2022-11-10' }), write);
    await ledger.execute(grant(2), write); // fits: grant 0 was reversed
    expect(await outcomeOf(ledger.execute(grant(3), write))).toBe('BUDGET_EXCEEDED');
    await models.close();
  });
});

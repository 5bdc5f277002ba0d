import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AidEvent, AnomalyKind, BeneficiaryEvent, DomainError, LocalDate, Stage, beneficiaryDecider, parseRecordDisbursement, parseRecordLoanDisbursement } from '@ledger/domain';
import { StoredEvent } from '@ledger/event-store';
import { shippedCatalog } from '../../domain/src/testing/catalog.fixture';
import { anomaliesProjection, queryAnomalies } from './anomalies.projection';
import { ReadModels } from './read-models';

/** Histories such as an import could bring (the write path would refuse them), run through the anomaly report. */
const dir = mkdtempSync(join(tmpdir(), 'ledger-anomalies-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function anomaliesOf(events: AidEvent[]) {
  const models = new ReadModels(join(dir, `models-${files++}.sqlite`), [anomaliesProjection(shippedCatalog())]);
  const stored: StoredEvent[] = events.map((event, i) => ({
    eventId: `e-${i}`,
    streamId: 'beneficiary-x',
    revision: i,
    position: BigInt(i + 1),
    type: event.type,
    schemaVersion: 1,
    data: event.data,
    metadata: {},
    recordedAt: '2022-10-20T02:00:00.000Z',
  }));
  models.applyPage(stored);
  const anomalies = queryAnomalies(models.db);
  models.db.close();
  return anomalies;
}

const student = { key: '654002201001010015', residentId: '654002201001010015' };
const line: { beneficiary: typeof student; schoolCode: string; stage: Stage; programCode: string; period: string; amount: string } = { beneficiary: student, schoolCode: '2165000001', stage: 'primary', programCode: 'BOARDING_LIVING_SUBSIDY', period: '2022-autumn', amount: '500.00' };
const paid = (id: string, overrides: Partial<typeof line> & { valueDate?: string } = {}): AidEvent => ({
  type: 'DisbursementRecorded',
  data: { ...line, disbursementId: id, payee: { type: 'student' }, valueDate: '2022-10-20', ...overrides },
});
const reversed = (id: string, overrides: Partial<typeof line> = {}): AidEvent => ({
  type: 'DisbursementReversed',
  data: { ...line, ...overrides, disbursementId: id, originalValueDate: '2022-10-20', reason: 'test', reasonCode: 'OTHER', valueDate: '2022-11-01' },
});
const lent = (id: string, amount: string): AidEvent => ({
  type: 'LoanDisbursed',
  data: { ...line, stage: 'undergraduate', schoolCode: '4165010694', programCode: 'ORIGIN_CREDIT_LOAN', period: '2022-2023', amount, loanId: id, payee: { type: 'university_fee_account' }, valueDate: '2022-09-20' },
});
const budget = (amount: string): AidEvent => ({
  type: 'BudgetAllocated',
  data: { allocationId: 'b-1', programCode: 'BOARDING_LIVING_SUBSIDY', fiscalYear: 2022, fundingSource: 'CENTRAL', amount, valueDate: '2022-03-01' },
});
const junior = { stage: 'junior' as const, amount: '625.00' };

const cases: Array<[AnomalyKind, AidEvent[], string[], AidEvent[]]> = [
  ['DUPLICATE_PAYMENT', [paid('a'), paid('b')], ['1', '2'], [paid('a'), reversed('a'), paid('b')]],
  ['EXCLUSIVE_PROGRAMS_PAID_TOGETHER', [paid('a'), paid('b', { programCode: 'NON_BOARDING_LIVING_SUBSIDY', amount: '250.00' })], ['1', '2'], [paid('a'), paid('b', { programCode: 'NON_BOARDING_LIVING_SUBSIDY', amount: '250.00', period: '2023-spring' })]],
  ['AMOUNT_OFF_STANDARD', [paid('a', { amount: '600.00' })], ['1'], [paid('a')]],
  ['AMOUNT_OVER_CAP', [paid('a', { programCode: 'NUTRITION_IMPROVEMENT', amount: '500.01' })], ['1'], [paid('a', { programCode: 'NUTRITION_IMPROVEMENT', amount: '450.00' })]],
  ['STAGE_NOT_ELIGIBLE', [paid('a', { stage: 'senior' as never })], ['1'], [paid('a', junior)]],
  ['OVER_BUDGET', [budget('1000.00'), paid('a'), paid('b', { ...junior, period: '2022-spring' })], ['1', '3'], [budget('1125.00'), paid('a'), paid('b', { ...junior, period: '2022-spring' })]],
  ['REVERSAL_OF_REVERSED', [paid('a'), reversed('a'), reversed('a')], ['1', '2', '3'], [paid('a'), reversed('a')]],
  ['LOAN_OVER_YEARLY_CAP', [lent('l-1', '8000.00'), lent('l-2', '4000.01')], ['1', '2'], [lent('l-1', '8000.00'), lent('l-2', '4000.00')]],
];

describe('the anomaly report', () => {
  it.each(cases)('finds %s and names its events', (kind, history, positions) => {
    const found = anomaliesOf(history).filter((anomaly) => anomaly.kind === kind);
    expect(found).toHaveLength(1);
    expect(found[0].positions).toEqual(positions);
    expect(found[0].detail).toEqual(expect.any(String));
  });

  it.each(cases)('finds no %s where there is none', (kind, _history, _positions, clean) => {
    expect(anomaliesOf(clean)).toEqual([]);
  });
});

/**
 * The report and the write path ask the same rules (history-rules.ts): for each rule that compares a
 * line with the record, the history the report flags ends with an event the decider would refuse, by
 * that rule, and the clean history with one it would take.
 */
describe('the anomaly report and the decider', () => {
  const context = { catalog: shippedCatalog(), today: '2026-12-01' as LocalDate };
  const refusalOf: Partial<Record<AnomalyKind, string>> = {
    DUPLICATE_PAYMENT: 'DUPLICATE_PAYMENT',
    EXCLUSIVE_PROGRAMS_PAID_TOGETHER: 'MUTUALLY_EXCLUSIVE_PROGRAMS',
    LOAN_OVER_YEARLY_CAP: 'LOAN_OVER_YEARLY_CAP',
  };
  /** What the decider says of the history's last event, as a command, given the others. */
  function decisionOnLast(history: AidEvent[]): string {
    const earlier = history.slice(0, -1) as BeneficiaryEvent[];
    const { type, data } = history.at(-1)! as { type: string; data: { beneficiary: { residentId: string } } & Record<string, unknown> };
    const { beneficiary, ...rest } = data;
    const input = { ...rest, student: { residentId: beneficiary.residentId } };
    const command = type === 'LoanDisbursed' ? parseRecordLoanDisbursement(input) : parseRecordDisbursement(input);
    const state = earlier.reduce(beneficiaryDecider.evolve, beneficiaryDecider.initialState());
    try {
      beneficiaryDecider.decide(command, state, context);
      return 'accepted';
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return error.code;
    }
  }

  it.each(cases.filter(([kind]) => refusalOf[kind]))('agree on %s', (kind, history, _positions, clean) => {
    expect(decisionOnLast(history)).toBe(refusalOf[kind]);
    expect(decisionOnLast(clean)).toBe('accepted');
  });
});

import { parsePeriod } from '../calendar';
import { Money } from '../money';
import { Stage } from '../stages';
import { shippedCatalog } from '../testing/catalog.fixture';
import { ruleSpecification } from '../testing/decider-specification';
import { LineInRecord, LoanInRecord, PaymentInRecord, duplicatedPayments, exclusiveCounterparts, loanOverYearlyCap } from './history-rules';

const catalog = shippedCatalog();

const payment = (id: string, overrides: Partial<PaymentInRecord> = {}) => ({
  id,
  programCode: 'BOARDING_LIVING_SUBSIDY',
  period: '2022-autumn',
  reversed: false,
  ...overrides,
});

describe('a payment duplicates one of the record', () => {
  const spec = ruleSpecification((line: LineInRecord, record: ReturnType<typeof payment>[]) => duplicatedPayments(line, record));
  const line = { programCode: 'BOARDING_LIVING_SUBSIDY', period: '2022-autumn' };

  it('when the record holds a payment of the same program and period', () => {
    spec.given([payment('a')]).when(line).then([payment('a')]);
  });

  it('naming every such payment, in the order of the record', () => {
    spec.given([payment('a'), payment('x', { period: '2023-spring' }), payment('b')]).when(line).then([payment('a'), payment('b')]);
  });

  it('not when that payment was reversed', () => {
    spec.given([payment('a', { reversed: true })]).when(line).then([]);
  });

  it('not for another period or another program', () => {
    spec
      .given([payment('a', { period: '2023-spring' }), payment('b', { programCode: 'NUTRITION_IMPROVEMENT' })])
      .when(line)
      .then([]);
  });
});

describe('a line breaks exclusivity with one of the record', () => {
  const spec = ruleSpecification((line: { programCode: string; period: string }, record: ReturnType<typeof payment>[]) =>
    exclusiveCounterparts(catalog, line, record),
  );
  const nonBoarding = { programCode: 'NON_BOARDING_LIVING_SUBSIDY', period: '2022-autumn' };

  it('when the record holds a line of a program that excludes it, in the same period', () => {
    spec.given([payment('a'), payment('n', { programCode: 'NUTRITION_IMPROVEMENT' })]).when(nonBoarding).then([payment('a')]);
  });

  it('whichever of the two names the other in the catalog', () => {
    spec.given([payment('n', nonBoarding)]).when({ programCode: 'BOARDING_LIVING_SUBSIDY', period: '2022-autumn' }).then([payment('n', nonBoarding)]);
  });

  it('an approval (a line without reversal) counts like a payment', () => {
    const approval = { id: 'approval', programCode: 'BOARDING_LIVING_SUBSIDY', period: '2022-autumn' };
    ruleSpecification((line: typeof nonBoarding, record: (typeof approval)[]) => exclusiveCounterparts(catalog, line, record))
      .given([approval])
      .when(nonBoarding)
      .then([approval]);
  });

  it('not when the line of the record was reversed, or is of another period', () => {
    spec.given([payment('a', { reversed: true }), payment('b', { period: '2023-spring' })]).when(nonBoarding).then([]);
  });

  it('not with a line of its own program (that is a duplicate, not an exclusion)', () => {
    spec.given([payment('a', nonBoarding)]).when(nonBoarding).then([]);
  });

  it('not for a program the catalog does not know, on either side', () => {
    spec.given([payment('a', { programCode: 'NO_SUCH_PROGRAM' })]).when(nonBoarding).then([]);
    spec.given([payment('a')]).when({ programCode: 'NO_SUCH_PROGRAM', period: '2022-autumn' }).then([]);
  });
});

describe('a loan exceeds the yearly cap', () => {
  const program = catalog.program('ORIGIN_CREDIT_LOAN')!;
  const loan = (id: string, amount: string, overrides: Partial<LoanInRecord> = {}) => ({
    id,
    programCode: 'ORIGIN_CREDIT_LOAN',
    period: '2022-2023',
    amount: Money.parse(amount),
    ...overrides,
  });
  const spec = ruleSpecification((line: { period: string; stage: Stage; amount: string }, record: ReturnType<typeof loan>[]) =>
    loanOverYearlyCap(program, parsePeriod(line.period), line.stage, Money.parse(line.amount), record),
  );
  const undergraduate = (amount: string) => ({ period: '2022-2023', stage: 'undergraduate' as const, amount });

  it('not when the school year stays within the cap for the stage, up to it exactly', () => {
    spec.given([loan('l-1', '8000.00')]).when(undergraduate('4000.00')).then(undefined);
  });

  it('when it takes the school year over it by a fen, naming the loans counted', () => {
    spec
      .given([loan('l-1', '8000.00')])
      .when(undergraduate('4000.01'))
      .then({ cap: Money.parse('12000.00'), counted: [loan('l-1', '8000.00')], borrowed: Money.parse('8000.00'), total: Money.parse('12000.01') });
  });

  it('counting only the loans of the same program and school year', () => {
    spec
      .given([loan('other-year', '12000.00', { period: '2021-2022' }), loan('other-program', '12000.00', { programCode: 'CAMPUS_LOAN' })])
      .when(undergraduate('12000.00'))
      .then(undefined);
  });

  it('one loan alone over the cap exceeds it', () => {
    spec.given([]).when(undergraduate('12000.01')).then({ cap: Money.parse('12000.00'), counted: [], borrowed: Money.ZERO, total: Money.parse('12000.01') });
  });

  it('cannot be answered for a stage the program has no cap for', () => {
    spec.given([]).when({ period: '2022-2023', stage: 'primary', amount: '1.00' }).thenFails('PROGRAM_NOT_OPEN');
  });
});

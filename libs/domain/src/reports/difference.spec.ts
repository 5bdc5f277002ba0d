import { Money } from '../money';
import { shippedCatalog } from '../testing/catalog.fixture';
import { DeclaredLine } from './declared-report';
import { DifferenceExplanation, HeldFigures, Holding, explainDifference } from './difference';

const catalog = shippedCatalog();
const yuan = (text: string) => Money.parse(text);
const holding = (programCode: string, period: string, stage: string, personTimes: number, amount: string): Holding => ({ programCode, period, stage, persons: personTimes, personTimes, amount: yuan(amount) });
const figures = (holdings: Holding[], persons: number, personsByStage: Record<string, number> = {}): HeldFigures => ({
  persons,
  personTimes: holdings.reduce((total, h) => total + h.personTimes, 0),
  amount: Money.sum(holdings.map((h) => h.amount)),
  holdings,
  personsByStage,
});
const line = (fields: Partial<DeclaredLine> & Pick<DeclaredLine, 'programs'>, count: number, wanYuan: string, atLeast = false): DeclaredLine => ({
  id: 'line',
  text: 'line',
  basis: 'paid',
  fiscalYear: 2022,
  count: { value: count, unit: 'persons', atLeast },
  amount: { printed: wanYuan, yuan: Money.fromWanYuan(wanYuan), atLeast },
  ...fields,
});
const partsAddUp = (explanation: DifferenceExplanation) => expect(Money.sum(explanation.parts.map((part) => part.amount)).toString()).toBe(explanation.amount.toString());

describe('the difference of a declared line, in full', () => {
  it('splits the non-boarding gap into the term the ledger holds no approvals for and the report beyond the standard', () => {
    const held = figures([holding('NON_BOARDING_LIVING_SUBSIDY', '2022-autumn', 'primary', 15058, '3764500.00'), holding('NON_BOARDING_LIVING_SUBSIDY', '2022-autumn', 'junior', 15057, '4705312.50')], 30115, { primary: 15058, junior: 15057 });
    const explained = explainDifference(line({ programs: ['NON_BOARDING_LIVING_SUBSIDY'], basis: 'approved' }, 30115, '1996.54375'), catalog, { held })!;
    expect(explained.ledger).toBe('the ledger holds approvals for 2022-autumn: 15058 primary × ¥250.00 + 15057 junior × ¥312.50 = 846.98125万元');
    expect(explained.parts.map((part) => [part.amount.toWanYuan(), part.detail])).toEqual([
      ['846.98125', '2022-spring: the ledger holds no approvals; at the standard for the same 30115 students, 15058 primary × ¥250.00 + 15057 junior × ¥312.50 = 846.98125万元'],
      [
        '302.58125',
        'the whole of 2022 at the standard for the declared 30115 persons (15058 primary × ¥500.00 a year + 15057 junior × ¥625.00 a year): 1693.9625万元; the report’s 1996.54375万元 exceeds it by 302.58125万元; even at ¥625.00 a year (junior) for all 30115, 114.35625万元 more',
      ],
    ]);
    expect(explained.check).toBe('846.98125 + 302.58125 = 1149.5625万元, the whole difference');
    partsAddUp(explained);
  });

  it('prices the persons the report counts beyond the ledger at the standard', () => {
    const held = figures([holding('YULU_PLAN', '2022-2023', 'secondary_vocational', 1, '3000.00')], 1, { secondary_vocational: 1 });
    const explained = explainDifference(line({ programs: ['YULU_PLAN'] }, 434, '130.2'), catalog, { held })!;
    expect(explained.parts.map((part) => [part.amount.toWanYuan(), part.detail])).toEqual([
      ['129.9', 'the report counts 433 persons more than the ledger: at the standard, 433 × ¥3,000.00 a year = 129.9万元'],
      ['0', 'the whole of 2022 at the standard for the declared 434 persons (the ledger’s 1 and 433 more): 130.2万元; the report’s 130.2万元 is exactly that'],
    ]);
    expect(explained.check).toBe('129.9万元: the whole difference');
    partsAddUp(explained);
  });

  it('prices persons at the highest standard when the stages differ, and says when the report is below it', () => {
    const explained = explainDifference(line({ programs: ['BOARDING_LIVING_SUBSIDY'] }, 1455, '112.8875'), catalog, { held: figures([], 0) })!;
    expect(explained.parts.map((part) => [part.amount.toWanYuan(), part.detail])).toEqual([
      ['181.875', 'the report counts 1455 persons more than the ledger: at the highest standard (junior), 1455 × ¥1,250.00 a year = 181.875万元'],
      ['-68.9875', 'the whole of 2022 at the standard for the declared 1455 persons (the ledger’s 0 and 1455 more): 181.875万元; the report’s 112.8875万元 is 68.9875万元 below it'],
    ]);
    expect(explained.check).toBe('181.875 − 68.9875 = 112.8875万元, the whole difference');
    partsAddUp(explained);
  });

  it('splits a headline at a date into what was valued later, approvals where the report counts payments, and what remains', () => {
    const held = figures([holding('PRESCHOOL_FREE', '2022-autumn', 'preschool', 50, '30000.00'), holding('NUTRITION_IMPROVEMENT', '2022-spring', 'primary', 40, '12000.00')], 90);
    const wholeYear = figures([...held.holdings, holding('NUTRITION_IMPROVEMENT', '2022-autumn', 'primary', 40, '12000.00')], 90);
    const headline = line({ programs: ['PRESCHOOL_FREE', 'NUTRITION_IMPROVEMENT', 'NON_BOARDING_LIVING_SUBSIDY'], asOf: '2022-10-31' as never }, 200, '10', true);
    const explained = explainDifference(headline, catalog, {
      held,
      wholeYear,
      approvedOnly: { programs: ['NON_BOARDING_LIVING_SUBSIDY'], personTimes: 60, amount: yuan('15000.00'), personsAdded: 60 },
    })!;
    expect(explained.ledger).toBe('the ledger holds PRESCHOOL_FREE 3 + NUTRITION_IMPROVEMENT 1.2 = 4.2万元 for 90 persons');
    expect(explained.parts.map((part) => [part.amount.toWanYuan(), part.persons, part.detail])).toEqual([
      ['1.2', 0, 'valued after 2022-10-31, later in 2022: NUTRITION_IMPROVEMENT 2022-autumn 1.2万元, 0 persons more'],
      ['1.5', 60, 'NON_BOARDING_LIVING_SUBSIDY: 60 approvals (拟享受) and no payments in 2022, which a figure of payments leaves out: 1.5万元, 60 persons'],
      ['3.1', 50, 'with all of that the ledger holds 6.9万元 for 150 persons; the report’s more than 10万元 is 3.1万元 more, its more than 200 persons 50 more'],
    ]);
    expect(explained.check).toBe('1.2 + 1.5 + 3.1 = 5.8万元, the whole difference; 60 + 50 = 110 persons');
    expect(explained.persons).toBe(110);
    partsAddUp(explained);
  });

  it.each([
    ['a term held in part', [holding('BOARDING_LIVING_SUBSIDY', '2022-spring', 'primary', 3, '1500.00'), holding('BOARDING_LIVING_SUBSIDY', '2022-autumn', 'primary', 10, '5000.00')], { primary: 10 }, 12, '0.9'],
    ['a term outside the year', [holding('BOARDING_LIVING_SUBSIDY', '2021-autumn', 'junior', 2, '1250.00'), holding('BOARDING_LIVING_SUBSIDY', '2022-autumn', 'junior', 2, '1250.00')], { junior: 2 }, 2, '0.5'],
    ['fewer persons than the ledger', [holding('BOARDING_LIVING_SUBSIDY', '2022-autumn', 'primary', 10, '5000.00')], { primary: 10 }, 8, '0.3'],
  ])('adds up exactly with %s', (_, holdings, byStage, count, wanYuan) => {
    const held = figures(holdings, Object.values(byStage).reduce((a, b) => a + b, 0), byStage);
    const explained = explainDifference(line({ programs: ['BOARDING_LIVING_SUBSIDY'] }, count, wanYuan), catalog, { held })!;
    partsAddUp(explained);
    expect(explained.amount.toString()).toBe(Money.fromWanYuan(wanYuan).minus(held.amount).toString());
    expect(explained.check).toMatch(new RegExp(` = ${explained.amount.toWanYuan().replace('.', '\\.')}万元, the whole difference$`));
  });

  it('prices a line "since" a day at the first period from that day, and a headline the ledger holds nothing of as all beyond it', () => {
    const since = explainDifference(line({ programs: ['ORIGIN_CREDIT_LOAN'], fiscalYear: undefined, since: '2022-07-01' as never }, 2, '2'), catalog, { held: figures([], 0) })!;
    expect(since.parts.map((part) => part.detail)).toEqual([
      'the report counts 2 persons more than the ledger: at the highest cap (postgraduate), 2 × ¥16,000.00 a year = 3.2万元',
      'since 2022-07-01 at the cap for the declared 2 persons (the ledger’s 0 and 2 more): 3.2万元; the report’s 2万元 is 1.2万元 below it',
    ]);
    const headline = explainDifference(line({ programs: ['PRESCHOOL_FREE', 'YULU_PLAN'] }, 10, '1', true), catalog, { held: figures([], 0) })!;
    expect(headline.parts.map((part) => part.detail)).toEqual(['beyond what the ledger holds, the report’s more than 1万元 is 1万元 more, its more than 10 persons 10 more']);
    expect(headline.check).toBe('1万元: the whole difference');
  });

  it('has nothing to explain when the amounts agree or the report gives none', () => {
    const held = figures([holding('YULU_PLAN', '2022-2023', 'secondary_vocational', 1, '3000.00')], 1, { secondary_vocational: 1 });
    expect(explainDifference(line({ programs: ['YULU_PLAN'] }, 1, '0.3'), catalog, { held })).toBeUndefined();
    expect(explainDifference({ ...line({ programs: ['YULU_PLAN'] }, 5, '0.3'), amount: undefined }, catalog, { held })).toBeUndefined();
  });
});

import { parsePeriod } from './calendar';
import { CatalogError, DEFAULT_BUDGET_DATING, DEFAULT_DATING_WINDOW, budgetDatingWindowFor, datingWindowFor, parseCatalog, standardFor, isOpenFor, areExclusive } from './catalog';
import { rawShippedCatalog, shippedCatalog } from './testing/catalog.fixture';

describe('the program catalog', () => {
  const catalog = shippedCatalog();

  it('holds the ten programs of the 2022 report, each with Chinese and English names', () => {
    expect(catalog.programs.map((program) => program.code)).toEqual([
      'PRESCHOOL_FREE',
      'BOARDING_LIVING_SUBSIDY',
      'NON_BOARDING_LIVING_SUBSIDY',
      'NUTRITION_IMPROVEMENT',
      'SENIOR_TUITION_WAIVER',
      'SENIOR_NATIONAL_GRANT',
      'YULU_PLAN',
      'ZIHUI_PLAN',
      'XINJIANG_AID_GRANT',
      'ORIGIN_CREDIT_LOAN',
    ]);
    for (const program of catalog.programs) {
      expect(program.name.zh).toMatch(/[\u4e00-\u9fff]/);
      expect(program.name.en).toMatch(/[A-Za-z]/);
    }
  });

  it('applies a new standard from its date and keeps the old one for earlier periods', () => {
    const boarding = catalog.program('BOARDING_LIVING_SUBSIDY')!;
    expect(standardFor(boarding, parsePeriod('2022-autumn'))!.amounts.junior!.map(String)).toEqual(['625.00']);
    expect(standardFor(boarding, parsePeriod('2025-autumn'))!.amounts.junior!.map(String)).toEqual(['750.00']);
    const loan = catalog.program('ORIGIN_CREDIT_LOAN')!;
    expect(String(standardFor(loan, parsePeriod('2020-2021'))!.amounts.undergraduate![0])).toBe('8000.00');
    expect(String(standardFor(loan, parsePeriod('2022-2023'))!.amounts.undergraduate![0])).toBe('12000.00');
    expect(String(standardFor(loan, parsePeriod('2022-2023'))!.amounts.postgraduate![0])).toBe('16000.00');
  });

  it('knows when a program is open and which programs exclude each other', () => {
    const nonBoarding = catalog.program('NON_BOARDING_LIVING_SUBSIDY')!;
    expect(isOpenFor(nonBoarding, parsePeriod('2019-spring'))).toBe(false);
    expect(isOpenFor(nonBoarding, parsePeriod('2019-autumn'))).toBe(true);
    expect(areExclusive(catalog.program('BOARDING_LIVING_SUBSIDY')!, nonBoarding)).toBe(true);
    expect(areExclusive(nonBoarding, catalog.program('BOARDING_LIVING_SUBSIDY')!)).toBe(true);
    expect(areExclusive(catalog.program('YULU_PLAN')!, catalog.program('XINJIANG_AID_GRANT')!)).toBe(false);
  });

  it('records who is paid: the canteen for nutrition, the fee account for loans', () => {
    expect(catalog.program('NUTRITION_IMPROVEMENT')!.payee).toBe('canteen');
    expect(catalog.program('ORIGIN_CREDIT_LOAN')!.payee).toBe('university_fee_account');
    expect(catalog.program('YULU_PLAN')!.payee).toBe('student');
  });

  it('dates a period’s payments, loans and approvals within its school year, widened as the catalog says', () => {
    expect(catalog.datingWindows).toEqual({ term: { daysBeforeSchoolYear: 92, daysAfterSchoolYear: 731 }, school_year: { daysBeforeSchoolYear: 92, daysAfterSchoolYear: 731 } });
    expect(datingWindowFor(catalog, parsePeriod('2022-autumn'))).toEqual({ from: '2022-06-01', until: '2025-08-31' });
    expect(datingWindowFor(catalog, parsePeriod('2023-spring'))).toEqual({ from: '2022-06-01', until: '2025-08-31' });
    expect(datingWindowFor(catalog, parsePeriod('2022-spring'))).toEqual({ from: '2021-06-01', until: '2024-08-31' });
    expect(datingWindowFor(catalog, parsePeriod('2022-2023'))).toEqual({ from: '2022-06-01', until: '2025-08-31' });
    const raw = rawShippedCatalog();
    delete raw.datingWindows;
    expect(parseCatalog(raw).datingWindows).toEqual({ term: DEFAULT_DATING_WINDOW, school_year: DEFAULT_DATING_WINDOW });
    const tight = parseCatalog({ ...rawShippedCatalog(), datingWindows: { term: { daysBeforeSchoolYear: 0, daysAfterSchoolYear: 0 } } });
    expect(datingWindowFor(tight, parsePeriod('2023-spring'))).toEqual({ from: '2022-09-01', until: '2023-08-31' });
    expect(datingWindowFor(tight, parsePeriod('2022-2023'))).toEqual({ from: '2022-06-01', until: '2025-08-31' });
  });

  it('dates a budget allocation for a fiscal year from the start of the year before to the months after it the catalog says', () => {
    expect(catalog.budgetDating).toEqual({ monthsBeforeFiscalYear: 12, monthsAfterFiscalYear: 3 });
    expect(budgetDatingWindowFor(catalog, 2023)).toEqual({ from: '2022-01-01', until: '2024-03-31' });
    expect(budgetDatingWindowFor(catalog, 2024)).toEqual({ from: '2023-01-01', until: '2025-03-31' });
    const raw = rawShippedCatalog();
    delete raw.budgetDating;
    expect(parseCatalog(raw).budgetDating).toEqual(DEFAULT_BUDGET_DATING);
    const tight = parseCatalog({ ...rawShippedCatalog(), budgetDating: { monthsBeforeFiscalYear: 2, monthsAfterFiscalYear: 0 } });
    expect(budgetDatingWindowFor(tight, 2024)).toEqual({ from: '2023-11-01', until: '2024-12-31' });
    const february = parseCatalog({ ...rawShippedCatalog(), budgetDating: { monthsBeforeFiscalYear: 0, monthsAfterFiscalYear: 2 } });
    expect(budgetDatingWindowFor(february, 2023)).toEqual({ from: '2023-01-01', until: '2024-02-29' });
  });

  describe('refuses a bad catalog, naming the bad entry', () => {
    type Raw = { programs: Array<Record<string, unknown>>; fundingSources: unknown[]; datingWindows?: any; budgetDating?: any };
    const broken = (change: (raw: Raw) => void) => {
      const raw = rawShippedCatalog() as unknown as Raw;
      change(raw);
      try {
        parseCatalog(raw);
      } catch (error) {
        expect(error).toBeInstanceOf(CatalogError);
        return (error as Error).message;
      }
      throw new Error('the broken catalog was accepted');
    };

    it.each<[string, (raw: Raw) => void, RegExp]>([
      ['an amount with three decimals', (raw) => ((raw.programs[6].standards as any)[0].fixed.secondary_vocational = '3000.001'), /programs\[6\] \(YULU_PLAN\)\.standards\[0\]\.fixed\.secondary_vocational/],
      ['an unknown stage', (raw) => (raw.programs[1].stages = ['primary', 'kindergarten']), /programs\[1\] \(BOARDING_LIVING_SUBSIDY\)\.stages: unknown stage "kindergarten"/],
      ['an exclusion of a missing program', (raw) => (raw.programs[1].excludes = ['NO_SUCH_PROGRAM']), /BOARDING_LIVING_SUBSIDY\)\.excludes: unknown program "NO_SUCH_PROGRAM"/],
      ['a duplicate code', (raw) => (raw.programs[2].code = 'BOARDING_LIVING_SUBSIDY'), /programs\[2\] \(BOARDING_LIVING_SUBSIDY\): duplicate program code/],
      ['a missing English name', (raw) => ((raw.programs[0].name as any).en = ''), /programs\[0\] \(PRESCHOOL_FREE\)\.name\.en/],
      ['an unknown kind', (raw) => (raw.programs[3].kind = 'gift'), /NUTRITION_IMPROVEMENT\)\.kind: must be one of/],
      ['standards out of order', (raw) => (raw.programs[9].standards as any[]).reverse(), /ORIGIN_CREDIT_LOAN\)\.standards\[1\]\.from/],
      ['a stage without an amount', (raw) => delete (raw.programs[1].standards as any)[0].fixed.junior, /BOARDING_LIVING_SUBSIDY\)\.standards\[0\]\.fixed: gives no amount for stage\(s\) junior/],
      ['an unknown funding source', (raw) => (raw.programs[6].fundingSources = ['MOON']), /YULU_PLAN\)\.fundingSources: unknown funding source "MOON"/],
      ['an amount given as a bare number is still exact but a bad date is not', (raw) => (raw.programs[4].openFrom = '2016-13-01'), /SENIOR_TUITION_WAIVER\)\.openFrom/],
      ['a dating window of a fraction of a day', (raw) => (raw.datingWindows.term.daysAfterSchoolYear = 1.5), /datingWindows\.term\.daysAfterSchoolYear: must be a whole number of days/],
      ['a dating window of an unknown basis', (raw) => (raw.datingWindows.semester = { daysBeforeSchoolYear: 1, daysAfterSchoolYear: 1 }), /datingWindows\.semester: unknown period basis/],
      ['a dating window with a misspelt key', (raw) => (raw.datingWindows.term = { daysBefore: 1, daysAfterSchoolYear: 1 }), /datingWindows\.term\.daysBefore(SchoolYear)?: /],
      ['a budget dating of a fraction of a month', (raw) => (raw.budgetDating.monthsAfterFiscalYear = 0.5), /budgetDating\.monthsAfterFiscalYear: must be a whole number of months from 0 to 24/],
      ['a budget dating with a misspelt key', (raw) => (raw.budgetDating = { monthsBefore: 12, monthsAfterFiscalYear: 3 }), /budgetDating\.monthsBefore(FiscalYear)?: /],
      ['a budget dating that is not a mapping', (raw) => (raw.budgetDating = 12), /budgetDating: must have monthsBeforeFiscalYear and monthsAfterFiscalYear/],
      ['a loan with a fixed standard', (raw) => ((raw.programs[9].standards as any[])[0] = { from: '2014-09-01', fixed: { higher_vocational: '1', undergraduate: '1', postgraduate: '1' } }), /ORIGIN_CREDIT_LOAN\): a loan program/],
      ['a short name two programs share', (raw) => (raw.programs[2].aliases = ['寄宿生补助']), /programs\[2\] \(NON_BOARDING_LIVING_SUBSIDY\)\.aliases: "寄宿生补助" also names BOARDING_LIVING_SUBSIDY/],
      ['a short name that is another program’s name', (raw) => (raw.programs[3].aliases = ['雨 露 计 划']), /NUTRITION_IMPROVEMENT\)\.aliases: "雨 露 计 划" also names YULU_PLAN/],
      ['a short name that is another program’s code', (raw) => (raw.programs[3].aliases = ['yulu_plan']), /NUTRITION_IMPROVEMENT\)\.aliases: "yulu_plan" also names YULU_PLAN/],
      ['short names that are not a list of names', (raw) => (raw.programs[3].aliases = '营养餐'), /NUTRITION_IMPROVEMENT\)\.aliases: must be a list of strings/],
    ])('%s', (_, change, message) => {
      expect(broken(change)).toMatch(message);
    });
  });

  it('gives the short names payment lists use for a program, none naming two programs', () => {
    expect(catalog.program('BOARDING_LIVING_SUBSIDY')!.aliases).toContain('寄宿生生活补助');
    expect(catalog.program('NUTRITION_IMPROVEMENT')!.aliases).toContain('营养餐');
    expect(catalog.program('YULU_PLAN')!.aliases).toEqual([]);
  });
});

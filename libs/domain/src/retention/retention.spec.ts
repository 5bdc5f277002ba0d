import { LocalDate, addDays } from '../calendar';
import { parseCatalog } from '../catalog';
import { rawShippedCatalog, shippedCatalog } from '../testing/catalog.fixture';
import { ProgramRecordDates, StudentRetentionRecord, decideRetention, latestDueAnchor, retentionDueFrom } from './retention';

/** Given a student's record under the programs, when it is this day (China time), then this is decided. */
function given(record: StudentRetentionRecord, catalog = shippedCatalog()) {
  return {
    when: (today: string) => ({
      // Written with plain date strings: compared by value, whatever the brand of LocalDate.
      then: (expected: Record<string, unknown>) => expect(decideRetention(record, catalog, today as LocalDate)).toEqual(expected),
    }),
  };
}

const line = (programCode: string, lastPeriodEnd: string | undefined, lastRecordedOn: string, outstandingLoanFen = 0n): ProgramRecordDates => ({
  programCode,
  ...(lastPeriodEnd && { lastPeriodEnd: lastPeriodEnd as LocalDate }),
  lastRecordedOn: lastRecordedOn as LocalDate,
  outstandingLoanFen,
});

/** The shipped catalog with one program's rule changed. */
function catalogWith(code: string, retention: unknown) {
  const raw = rawShippedCatalog() as { programs: Array<Record<string, unknown>> };
  raw.programs.find((program) => program.code === code)!.retention = retention;
  return parseCatalog(raw);
}

describe('retention: when a student’s personal data is due for erasure', () => {
  // Boarding subsidy, autumn 2016 (ends 31 January 2017), paid 20 October 2016; the shipped rule: 5 years after the last activity.
  const boarding2016 = line('BOARDING_LIVING_SUBSIDY', '2017-01-31', '2016-10-20');

  it('given aid whose period ended long ago, when its rule has run out, then the student is due since the day after it ran out', () => {
    given({ erased: false, programs: [boarding2016] })
      .when('2024-06-30')
      .then({ due: true, dueSince: '2022-02-01', programs: [{ programCode: 'BOARDING_LIVING_SUBSIDY', anchor: '2017-01-31', dueFrom: '2022-02-01' }] });
  });

  it('given the same aid, when it is the last day the rule keeps the data, then it is kept; the day after, due', () => {
    given({ erased: false, programs: [boarding2016] }).when('2022-01-31').then({ due: false, reason: 'retained', programCode: 'BOARDING_LIVING_SUBSIDY', dueFrom: '2022-02-01' });
    given({ erased: false, programs: [boarding2016] }).when('2022-02-01').then({ due: true, dueSince: '2022-02-01', programs: [expect.objectContaining({ dueFrom: '2022-02-01' })] });
  });

  it('given arrears paid after the period ended, when counting from the last activity, then the count starts at the payment', () => {
    given({ erased: false, programs: [line('BOARDING_LIVING_SUBSIDY', '2017-01-31', '2018-03-15')] })
      .when('2023-03-15')
      .then({ due: false, reason: 'retained', programCode: 'BOARDING_LIVING_SUBSIDY', dueFrom: '2023-03-16' });
  });

  it('given a rule counting from the end of the last period, when arrears came later, then the count starts at the period’s end', () => {
    const catalog = catalogWith('BOARDING_LIVING_SUBSIDY', { personalDataYears: 3, after: 'last_period_end' });
    given({ erased: false, programs: [line('BOARDING_LIVING_SUBSIDY', '2017-01-31', '2018-03-15')] }, catalog)
      .when('2020-02-01')
      .then({ due: true, dueSince: '2020-02-01', programs: [{ programCode: 'BOARDING_LIVING_SUBSIDY', anchor: '2017-01-31', dueFrom: '2020-02-01' }] });
  });

  it('given one program long over and another still aiding the student, then the student is not due (all their data stays)', () => {
    given({ erased: false, programs: [boarding2016, line('SENIOR_NATIONAL_GRANT', '2024-07-31', '2024-04-20')] })
      .when('2025-01-01')
      .then({ due: false, reason: 'retained', programCode: 'SENIOR_NATIONAL_GRANT', dueFrom: '2029-08-01' });
  });

  it('given two programs both over, then the student is due since the later of their ends', () => {
    given({ erased: false, programs: [line('SENIOR_NATIONAL_GRANT', '2019-07-31', '2019-04-20'), boarding2016] })
      .when('2025-01-01')
      .then({
        due: true,
        dueSince: '2024-08-01',
        programs: [
          { programCode: 'BOARDING_LIVING_SUBSIDY', anchor: '2017-01-31', dueFrom: '2022-02-01' },
          { programCode: 'SENIOR_NATIONAL_GRANT', anchor: '2019-07-31', dueFrom: '2024-08-01' },
        ],
      });
  });

  it('given a loan not fully repaid, however old, then the student is not due; once repaid, five years after the last repayment', () => {
    given({ erased: false, programs: [line('ORIGIN_CREDIT_LOAN', '2015-08-31', '2014-10-10', 100n)] }).when('2040-01-01').then({ due: false, reason: 'loan_outstanding', programCode: 'ORIGIN_CREDIT_LOAN' });
    given({ erased: false, programs: [line('ORIGIN_CREDIT_LOAN', '2015-08-31', '2021-06-30')] })
      .when('2026-07-01')
      .then({ due: true, dueSince: '2026-07-01', programs: [{ programCode: 'ORIGIN_CREDIT_LOAN', anchor: '2021-06-30', dueFrom: '2026-07-01' }] });
  });

  it('given a student on legal hold whose every rule has run out, then they are not due (the data is kept, storage only); once lifted, due', () => {
    given({ erased: false, onLegalHold: true, programs: [boarding2016] }).when('2024-06-30').then({ due: false, reason: 'legal_hold', dueFrom: '2022-02-01' });
    given({ erased: false, onLegalHold: false, programs: [boarding2016] }).when('2024-06-30').then(expect.objectContaining({ due: true, dueSince: '2022-02-01' }));
  });

  it('given a student on legal hold whose rule has not run out, then they are retained by the rule (the hold says nothing yet)', () => {
    given({ erased: false, onLegalHold: true, programs: [boarding2016] }).when('2022-01-31').then({ due: false, reason: 'retained', programCode: 'BOARDING_LIVING_SUBSIDY', dueFrom: '2022-02-01' });
  });

  it('given a student already erased, then they are not due again', () => {
    given({ erased: true, programs: [boarding2016] }).when('2030-01-01').then({ due: false, reason: 'erased' });
  });

  it('given records under a program the catalog does not hold, then no rule lets the data go', () => {
    given({ erased: false, programs: [boarding2016, line('RETIRED_PROGRAM', '2010-01-31', '2009-10-01')] }).when('2030-01-01').then({ due: false, reason: 'no_rule', programCode: 'RETIRED_PROGRAM' });
  });

  it('given no aid recorded at all, then nothing is due', () => {
    given({ erased: false, programs: [] }).when('2030-01-01').then({ due: false, reason: 'no_records' });
  });

  it('given an anchor on 29 February, then the years end on 28 February of a year without one', () => {
    const catalog = catalogWith('BOARDING_LIVING_SUBSIDY', { personalDataYears: 1, after: 'last_activity' });
    given({ erased: false, programs: [line('BOARDING_LIVING_SUBSIDY', '2020-01-31', '2020-02-29')] }, catalog)
      .when('2021-03-01')
      .then({ due: true, dueSince: '2021-03-01', programs: [{ programCode: 'BOARDING_LIVING_SUBSIDY', anchor: '2020-02-29', dueFrom: '2021-03-01' }] });
  });
});

describe('the retention rules of the catalog', () => {
  it('gives every shipped program a rule: five years after the last activity', () => {
    for (const program of shippedCatalog().programs) expect({ code: program.code, retention: program.retention }).toEqual({ code: program.code, retention: { personalDataYears: 5, after: 'last_activity' } });
  });

  it.each<[string, unknown, RegExp]>([
    ['a missing rule', undefined, /programs\[1\] \(BOARDING_LIVING_SUBSIDY\)\.retention: is missing/],
    ['a rule that is a number', 5, /programs\[1\] \(BOARDING_LIVING_SUBSIDY\)\.retention: must be \{ personalDataYears/],
    ['a fraction of a year', { personalDataYears: 2.5, after: 'last_activity' }, /BOARDING_LIVING_SUBSIDY\)\.retention\.personalDataYears: must be a whole number of years from 1 to 30/],
    ['no years', { personalDataYears: 0, after: 'last_activity' }, /BOARDING_LIVING_SUBSIDY\)\.retention\.personalDataYears: must be a whole number/],
    ['more than thirty years', { personalDataYears: 31, after: 'last_activity' }, /BOARDING_LIVING_SUBSIDY\)\.retention\.personalDataYears: /],
    ['an unknown anchor', { personalDataYears: 5, after: 'graduation' }, /BOARDING_LIVING_SUBSIDY\)\.retention\.after: must be one of last_period_end, last_activity/],
    ['a misspelt key', { personalDataYear: 5, after: 'last_activity' }, /BOARDING_LIVING_SUBSIDY\)\.retention\.personalDataYear: unknown key/],
  ])('refuses %s, naming the entry', (_, retention, message) => {
    expect(() => catalogWith('BOARDING_LIVING_SUBSIDY', retention)).toThrow(message);
  });
});

describe('the latest anchor a rule lets go by a day', () => {
  it('given any anchor around it, then the rule has run out by that day exactly when the anchor is on or before it (leap days included)', () => {
    const rules = [
      { personalDataYears: 5, after: 'last_activity' as const },
      { personalDataYears: 1, after: 'last_period_end' as const },
      { personalDataYears: 4, after: 'last_activity' as const },
    ];
    const days = (from: string, count: number) => Array.from({ length: count }, (_, i) => addDays(from as LocalDate, i));
    for (const rule of rules) {
      for (const today of [...days('2021-02-25', 10), ...days('2024-02-25', 10), ...days('2025-02-25', 10), '2030-12-31' as LocalDate]) {
        const cutoff = latestDueAnchor(rule, today);
        for (const anchor of days(addDays(cutoff, -3), 7)) {
          const record = line('BOARDING_LIVING_SUBSIDY', undefined, anchor);
          expect({ rule, today, anchor, due: retentionDueFrom(rule, record) <= today }).toEqual({ rule, today, anchor, due: anchor <= cutoff });
        }
      }
    }
  });
});

import { InvalidDate, InvalidPeriod } from './errors';

/**
 * The three time bases of student aid (docs/domain.md#time-bases-and-dating-windows): subsidies are paid per **term**, loans per
 * **school year** (September–August), budgets per **fiscal year** (the calendar year).
 */

/** A calendar date `YYYY-MM-DD`, no time zone: the value date of a payment. */
export type LocalDate = string & { readonly __brand: 'LocalDate' };

export function parseLocalDate(input: unknown, field = 'date'): LocalDate {
  const value = typeof input === 'string' ? input : '';
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (match) {
    const [year, month, day] = match.slice(1).map(Number);
    const date = new Date(Date.UTC(year, month - 1, day));
    if (year >= 1990 && year <= 2200 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day) {
      return value as LocalDate;
    }
  }
  throw new InvalidDate(`${field} must be a calendar date YYYY-MM-DD between 1990 and 2200`, field);
}

export const fiscalYearOf = (date: LocalDate): number => Number(date.slice(0, 4));

/** The date `days` days after `date` (before it, for a negative number). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const [year, month, day] = date.split('-').map(Number);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10) as LocalDate;
}

/** The same day `years` years later; 29 February becomes 28 February in a year that has none. */
export function addYears(date: LocalDate, years: number): LocalDate {
  const [year, month, day] = date.split('-').map(Number);
  const target = new Date(Date.UTC(year + years, month - 1, day));
  if (target.getUTCMonth() !== month - 1) target.setUTCDate(0);
  return target.toISOString().slice(0, 10) as LocalDate;
}

export type Season = 'spring' | 'autumn';
export type PeriodBasis = 'term' | 'school_year';

export interface Term {
  readonly basis: 'term';
  /** `2022-autumn`: the autumn term that starts in September 2022; `2023-spring` follows it. */
  readonly id: string;
  readonly year: number;
  readonly season: Season;
  readonly starts: LocalDate;
  readonly ends: LocalDate;
}

export interface SchoolYear {
  readonly basis: 'school_year';
  /** `2022-2023`: September 2022 to August 2023. */
  readonly id: string;
  readonly startYear: number;
  readonly starts: LocalDate;
  readonly ends: LocalDate;
}

export type Period = Term | SchoolYear;

export function term(year: number, season: Season): Term {
  return season === 'spring'
    ? { basis: 'term', id: `${year}-spring`, year, season, starts: `${year}-02-01` as LocalDate, ends: `${year}-07-31` as LocalDate }
    : { basis: 'term', id: `${year}-autumn`, year, season, starts: `${year}-09-01` as LocalDate, ends: `${year + 1}-01-31` as LocalDate };
}

export function schoolYear(startYear: number): SchoolYear {
  return {
    basis: 'school_year',
    id: `${startYear}-${startYear + 1}`,
    startYear,
    starts: `${startYear}-09-01` as LocalDate,
    ends: `${startYear + 1}-08-31` as LocalDate,
  };
}

/** The school year a period belongs to: autumn 2022 and spring 2023 are terms of 2022-2023. */
export function schoolYearOf(period: Period): SchoolYear {
  if (period.basis === 'school_year') return period;
  return schoolYear(period.season === 'autumn' ? period.year : period.year - 1);
}

/** Parses `2022-autumn`, `2023-spring` (terms) or `2022-2023` (a school year). */
export function parsePeriod(input: unknown, field = 'period'): Period {
  const value = typeof input === 'string' ? input.trim().toLowerCase() : '';
  const termMatch = /^(\d{4})-(spring|autumn)$/.exec(value);
  if (termMatch) {
    const year = Number(termMatch[1]);
    if (year >= 1990 && year <= 2200) return term(year, termMatch[2] as Season);
  }
  const yearMatch = /^(\d{4})-(\d{4})$/.exec(value);
  if (yearMatch && Number(yearMatch[2]) === Number(yearMatch[1]) + 1 && Number(yearMatch[1]) >= 1990 && Number(yearMatch[1]) <= 2200) {
    return schoolYear(Number(yearMatch[1]));
  }
  throw new InvalidPeriod(
    `${field} must be a term like "2022-autumn" or "2023-spring", or a school year like "2022-2023"`,
    field,
  );
}


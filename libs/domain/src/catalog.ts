import { LocalDate, Period, PeriodBasis, addDays, parseLocalDate, schoolYearOf } from './calendar';
import { DomainError } from './errors';
import { Money } from './money';
import { Stage, STAGES, isStage } from './stages';

/**
 * The program catalog: which aid programs exist, who they are for, how much they pay and when.
 * It is configuration (`config/programs.yaml`), validated here so that a bad catalog stops the
 * service at start with a message naming the bad entry.
 */

export const PROGRAM_KINDS = ['subsidy', 'grant', 'waiver', 'loan'] as const;
export type ProgramKind = (typeof PROGRAM_KINDS)[number];

/** Who receives the money (the nutrition plan pays a canteen, loans a university). */
export const PAYEE_TYPES = ['student', 'canteen', 'school', 'university_fee_account'] as const;
export type PayeeType = (typeof PAYEE_TYPES)[number];

/**
 * How an amount is checked against a standard, per stage:
 * - `fixed`: exactly this amount per period;
 * - `tiers`: one of these amounts per period;
 * - `cap`: any positive amount up to this, per period (for loans: the sum over the school year).
 */
export const STANDARD_RULES = ['fixed', 'tiers', 'cap'] as const;
export type StandardRule = (typeof STANDARD_RULES)[number];

export interface Standard {
  /** First date of the periods this standard applies to (compared with the period's start). */
  readonly from: LocalDate;
  readonly rule: StandardRule;
  /** Allowed amounts per stage: one for `fixed` and `cap`, several for `tiers`. */
  readonly amounts: Readonly<Partial<Record<Stage, readonly Money[]>>>;
}

export interface Program {
  readonly code: string;
  readonly name: { readonly zh: string; readonly en: string };
  /** Short names payment lists use for it (寄宿生生活补助, 营养餐 …); none may name another program too. */
  readonly aliases: readonly string[];
  readonly kind: ProgramKind;
  readonly stages: readonly Stage[];
  readonly period: PeriodBasis;
  readonly payee: PayeeType;
  /** Programs that must not pay the same student for the same period (symmetric). */
  readonly excludes: readonly string[];
  readonly fundingSources: readonly string[];
  /** The program accepts periods starting on or after this date … */
  readonly openFrom: LocalDate;
  /** … and, when set, starting on or before this one. */
  readonly openUntil?: LocalDate;
  /** Sorted by `from`, oldest first. A new standard never rewrites the periods before it. */
  readonly standards: readonly Standard[];
  /** How long the personal data of the program's records is kept once the student has left it. */
  readonly retention: RetentionRule;
  readonly notes?: string;
}

/**
 * What a retention rule counts from, for one student under one program (there is no roster, so
 * "left the program" is read from the ledger):
 * - `last_period_end`: the end of the last period the student was aided for under the program
 *   (approved, paid, reversed or lent for);
 * - `last_activity`: the later of that and the last date recorded under the program (a value
 *   date, an approval date, a repayment date), since arrears and repayments come after the period.
 */
export const RETENTION_ANCHORS = ['last_period_end', 'last_activity'] as const;
export type RetentionAnchor = (typeof RETENTION_ANCHORS)[number];

/** A program's personal data is kept `personalDataYears` years after the anchor, then it is due for erasure. */
export interface RetentionRule {
  readonly personalDataYears: number;
  readonly after: RetentionAnchor;
}

/** Longer than this is not a retention period for personal data (accounting archives, the longest, are kept 30 years). */
export const MAX_RETENTION_YEARS = 30;

export interface FundingSource {
  readonly code: string;
  readonly name: { readonly zh: string; readonly en: string };
}

/**
 * When a payment, a loan or an approval for a period may be dated: within the period's school year
 * (autumn 2022 and spring 2023 both belong to 2022-2023, 1 September 2022 to 31 August 2023), from
 * `daysBeforeSchoolYear` days before it starts to `daysAfterSchoolYear` days after it ends — a
 * term's aid is often approved and paid for the whole school year at once, and arrears come late.
 */
export interface DatingWindow {
  readonly daysBeforeSchoolYear: number;
  readonly daysAfterSchoolYear: number;
}

export const PERIOD_BASES: readonly PeriodBasis[] = ['term', 'school_year'];

/** The window of a catalog that does not set one (`datingWindows` in config/programs.yaml). */
export const DEFAULT_DATING_WINDOW: DatingWindow = { daysBeforeSchoolYear: 92, daysAfterSchoolYear: 731 };

/**
 * When a budget allocation for fiscal year Y may be dated: from `monthsBeforeFiscalYear` months
 * before 1 January of Y — allocations are made in advance (提前下达), in the year before — to
 * `monthsAfterFiscalYear` months after 31 December of Y, while the year's accounts are closed
 * (year-end and settlement allocations whose documents come after the year ends).
 */
export interface BudgetDating {
  readonly monthsBeforeFiscalYear: number;
  readonly monthsAfterFiscalYear: number;
}

/** The budget dating of a catalog that does not set one (`budgetDating` in config/programs.yaml). */
export const DEFAULT_BUDGET_DATING: BudgetDating = { monthsBeforeFiscalYear: 12, monthsAfterFiscalYear: 3 };

export interface ProgramCatalog {
  readonly programs: readonly Program[];
  readonly fundingSources: readonly FundingSource[];
  readonly datingWindows: Readonly<Record<PeriodBasis, DatingWindow>>;
  readonly budgetDating: BudgetDating;
  program(code: string): Program | undefined;
}

export class CatalogError extends DomainError {
  constructor(readonly entry: string, problem: string) {
    super('CATALOG_INVALID', 'invalid', `program catalog: ${entry}: ${problem}`, entry);
  }
}

/** The standard in force for a period of a program, or undefined before the first one. */
export function standardFor(program: Program, period: Period): Standard | undefined {
  let found: Standard | undefined;
  for (const standard of program.standards) if (standard.from <= period.starts) found = standard;
  return found;
}

export function isOpenFor(program: Program, period: Period): boolean {
  return program.openFrom <= period.starts && (!program.openUntil || period.starts <= program.openUntil);
}

/** The first and last date a payment, loan or approval for this period may carry. */
export function datingWindowFor(catalog: Pick<ProgramCatalog, 'datingWindows'>, period: Period): { from: LocalDate; until: LocalDate } {
  const window = catalog.datingWindows[period.basis];
  const year = schoolYearOf(period);
  return { from: addDays(year.starts, -window.daysBeforeSchoolYear), until: addDays(year.ends, window.daysAfterSchoolYear) };
}

/** The first and last date a budget allocation for this fiscal year may carry. */
export function budgetDatingWindowFor(catalog: Pick<ProgramCatalog, 'budgetDating'>, fiscalYear: number): { from: LocalDate; until: LocalDate } {
  const { monthsBeforeFiscalYear, monthsAfterFiscalYear } = catalog.budgetDating;
  // Date.UTC carries months beyond 0–11 into the years around; day 0 is the last day of the month before.
  const from = new Date(Date.UTC(fiscalYear, -monthsBeforeFiscalYear, 1));
  const until = new Date(Date.UTC(fiscalYear + 1, monthsAfterFiscalYear, 0));
  const date = (instant: Date) => instant.toISOString().slice(0, 10) as LocalDate;
  return { from: date(from), until: date(until) };
}

/** True when either program lists the other as excluded. */
export function areExclusive(a: Program, b: Program): boolean {
  return a.excludes.includes(b.code) || b.excludes.includes(a.code);
}

// ---------------------------------------------------------------------------------------------
// Parsing the raw configuration (already read from YAML) into a checked catalog.

type Raw = Record<string, unknown>;

const isRecord = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);

function requireString(raw: Raw, key: string, entry: string): string {
  const value = raw[key];
  if (typeof value !== 'string' || value.trim() === '') throw new CatalogError(`${entry}.${key}`, 'must be a non-empty string');
  return value.trim();
}

function requireOneOf<T extends string>(raw: Raw, key: string, allowed: readonly T[], entry: string): T {
  const value = raw[key];
  if (!allowed.includes(value as T)) {
    throw new CatalogError(`${entry}.${key}`, `must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
  }
  return value as T;
}

function stringList(raw: Raw, key: string, entry: string, required: boolean): string[] {
  const value = raw[key];
  if (value === undefined && !required) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string') || (required && value.length === 0)) {
    throw new CatalogError(`${entry}.${key}`, `must be a ${required ? 'non-empty ' : ''}list of strings`);
  }
  return value as string[];
}

function dateField(raw: Raw, key: string, entry: string): LocalDate {
  // YAML turns unquoted 2022-09-01 into a Date; accept both forms.
  const value = raw[key] instanceof Date ? (raw[key] as Date).toISOString().slice(0, 10) : raw[key];
  try {
    return parseLocalDate(value, `${entry}.${key}`);
  } catch {
    throw new CatalogError(`${entry}.${key}`, 'must be a date YYYY-MM-DD');
  }
}

function parseAmount(value: unknown, entry: string): Money {
  try {
    return Money.parse(typeof value === 'number' ? String(value) : value, entry);
  } catch (error) {
    throw new CatalogError(entry, error instanceof Error ? error.message : String(error));
  }
}

function parseStandard(raw: unknown, entry: string, stages: readonly Stage[]): Standard {
  if (!isRecord(raw)) throw new CatalogError(entry, 'must be a mapping with "from" and one of fixed/tiers/cap');
  const from = dateField(raw, 'from', entry);
  const rules = STANDARD_RULES.filter((rule) => raw[rule] !== undefined);
  if (rules.length !== 1) throw new CatalogError(entry, 'must give exactly one of fixed, tiers or cap');
  const rule = rules[0];
  const byStage = raw[rule];
  if (!isRecord(byStage)) throw new CatalogError(`${entry}.${rule}`, 'must map each stage to its amount(s)');
  const amounts: Partial<Record<Stage, Money[]>> = {};
  for (const [stage, value] of Object.entries(byStage)) {
    const at = `${entry}.${rule}.${stage}`;
    if (!isStage(stage)) throw new CatalogError(at, `unknown stage; stages are ${STAGES.join(', ')}`);
    if (!stages.includes(stage)) throw new CatalogError(at, 'stage is not one of the program\'s stages');
    const list = rule === 'tiers' ? value : [value];
    if (!Array.isArray(list) || list.length === 0) throw new CatalogError(at, 'tiers must be a non-empty list of amounts');
    amounts[stage] = list.map((item, i) => parseAmount(item, rule === 'tiers' ? `${at}[${i}]` : at).assertPositive(at));
  }
  const missing = stages.filter((stage) => !amounts[stage]);
  if (missing.length > 0) throw new CatalogError(`${entry}.${rule}`, `gives no amount for stage(s) ${missing.join(', ')}`);
  return { from, rule, amounts };
}

function parseProgram(raw: unknown, index: number, fundingCodes: ReadonlySet<string>): Program {
  let entry = `programs[${index}]`;
  if (!isRecord(raw)) throw new CatalogError(entry, 'must be a mapping');
  const code = requireString(raw, 'code', entry);
  if (!/^[A-Z][A-Z0-9_]*$/.test(code)) throw new CatalogError(`${entry}.code`, 'must be UPPER_SNAKE_CASE');
  entry = `programs[${index}] (${code})`;
  const name = raw.name;
  if (!isRecord(name)) throw new CatalogError(`${entry}.name`, 'must have zh and en');
  const stages = stringList(raw, 'stages', entry, true);
  const badStage = stages.find((stage) => !isStage(stage));
  if (badStage) throw new CatalogError(`${entry}.stages`, `unknown stage "${badStage}"; stages are ${STAGES.join(', ')}`);
  const fundingSources = stringList(raw, 'fundingSources', entry, true);
  const badSource = fundingSources.find((source) => !fundingCodes.has(source));
  if (badSource) throw new CatalogError(`${entry}.fundingSources`, `unknown funding source "${badSource}"`);
  const rawStandards = raw.standards;
  if (!Array.isArray(rawStandards) || rawStandards.length === 0) {
    throw new CatalogError(`${entry}.standards`, 'must list at least one standard');
  }
  const standards = rawStandards.map((standard, i) => parseStandard(standard, `${entry}.standards[${i}]`, stages as Stage[]));
  for (let i = 1; i < standards.length; i++) {
    if (standards[i].from <= standards[i - 1].from) {
      throw new CatalogError(`${entry}.standards[${i}].from`, 'standards must be in increasing order of "from"');
    }
  }
  const kind = requireOneOf(raw, 'kind', PROGRAM_KINDS, entry);
  const openFrom = dateField(raw, 'openFrom', entry);
  const openUntil = raw.openUntil === undefined ? undefined : dateField(raw, 'openUntil', entry);
  if (openUntil && openUntil < openFrom) throw new CatalogError(`${entry}.openUntil`, 'is before openFrom');
  if (standards[0].from > openFrom) throw new CatalogError(`${entry}.standards[0].from`, 'leaves the program open without a standard');
  const period = requireOneOf(raw, 'period', ['term', 'school_year'] as const, entry);
  if (kind === 'loan' && (period !== 'school_year' || standards.some((s) => s.rule !== 'cap'))) {
    throw new CatalogError(entry, 'a loan program is per school_year with a cap standard');
  }
  return {
    code,
    name: { zh: requireString(name, 'zh', `${entry}.name`), en: requireString(name, 'en', `${entry}.name`) },
    aliases: parseAliases(raw, entry),
    kind,
    stages: stages as Stage[],
    period,
    payee: requireOneOf(raw, 'payee', PAYEE_TYPES, entry),
    excludes: stringList(raw, 'excludes', entry, false),
    fundingSources,
    openFrom,
    openUntil,
    standards,
    retention: parseRetentionRule(raw.retention, `${entry}.retention`),
    notes: typeof raw.notes === 'string' ? raw.notes.trim() : undefined,
  };
}

function parseRetentionRule(raw: unknown, entry: string): RetentionRule {
  const shape = `must be { personalDataYears: <years>, after: ${RETENTION_ANCHORS.join(' | ')} }`;
  if (!isRecord(raw)) throw new CatalogError(entry, raw === undefined ? `is missing: every program says how long its personal data is kept; ${shape}` : shape);
  const unknown = Object.keys(raw).find((key) => key !== 'personalDataYears' && key !== 'after');
  if (unknown) throw new CatalogError(`${entry}.${unknown}`, `unknown key; ${shape}`);
  const years = raw.personalDataYears;
  if (typeof years !== 'number' || !Number.isInteger(years) || years < 1 || years > MAX_RETENTION_YEARS) {
    throw new CatalogError(`${entry}.personalDataYears`, `must be a whole number of years from 1 to ${MAX_RETENTION_YEARS} (got ${JSON.stringify(years)})`);
  }
  return { personalDataYears: years, after: requireOneOf(raw, 'after', RETENTION_ANCHORS, entry) };
}

const MAX_WINDOW_DAYS = 3660;

function parseDatingWindows(raw: unknown): Record<PeriodBasis, DatingWindow> {
  const windows: Record<PeriodBasis, DatingWindow> = { term: DEFAULT_DATING_WINDOW, school_year: DEFAULT_DATING_WINDOW };
  if (raw === undefined) return windows;
  if (!isRecord(raw)) throw new CatalogError('datingWindows', `must map ${PERIOD_BASES.join(' and ')} to {daysBeforeSchoolYear, daysAfterSchoolYear}`);
  for (const [basis, window] of Object.entries(raw)) {
    const entry = `datingWindows.${basis}`;
    if (!PERIOD_BASES.includes(basis as PeriodBasis)) throw new CatalogError(entry, `unknown period basis; bases are ${PERIOD_BASES.join(', ')}`);
    if (!isRecord(window)) throw new CatalogError(entry, 'must have daysBeforeSchoolYear and daysAfterSchoolYear');
    const days = (key: keyof DatingWindow) => {
      const value = window[key];
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_WINDOW_DAYS) {
        throw new CatalogError(`${entry}.${key}`, `must be a whole number of days from 0 to ${MAX_WINDOW_DAYS}`);
      }
      return value;
    };
    const unknown = Object.keys(window).find((key) => key !== 'daysBeforeSchoolYear' && key !== 'daysAfterSchoolYear');
    if (unknown) throw new CatalogError(`${entry}.${unknown}`, 'unknown key; a window has daysBeforeSchoolYear and daysAfterSchoolYear');
    windows[basis as PeriodBasis] = { daysBeforeSchoolYear: days('daysBeforeSchoolYear'), daysAfterSchoolYear: days('daysAfterSchoolYear') };
  }
  return windows;
}

const MAX_BUDGET_DATING_MONTHS = 24;

function parseBudgetDating(raw: unknown): BudgetDating {
  if (raw === undefined) return DEFAULT_BUDGET_DATING;
  if (!isRecord(raw)) throw new CatalogError('budgetDating', 'must have monthsBeforeFiscalYear and monthsAfterFiscalYear');
  const unknown = Object.keys(raw).find((key) => key !== 'monthsBeforeFiscalYear' && key !== 'monthsAfterFiscalYear');
  if (unknown) throw new CatalogError(`budgetDating.${unknown}`, 'unknown key; budgetDating has monthsBeforeFiscalYear and monthsAfterFiscalYear');
  const months = (key: keyof BudgetDating) => {
    const value = raw[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_BUDGET_DATING_MONTHS) {
      throw new CatalogError(`budgetDating.${key}`, `must be a whole number of months from 0 to ${MAX_BUDGET_DATING_MONTHS}`);
    }
    return value;
  };
  return { monthsBeforeFiscalYear: months('monthsBeforeFiscalYear'), monthsAfterFiscalYear: months('monthsAfterFiscalYear') };
}

function parseAliases(raw: Raw, entry: string): string[] {
  const aliases = stringList(raw, 'aliases', entry, false).map((alias) => alias.trim());
  if (aliases.some((alias) => alias === '')) throw new CatalogError(`${entry}.aliases`, 'must not hold an empty name');
  return aliases;
}

/** A program's name (code, Chinese or English name, alias) as lists are matched on it: no spaces, any case, half-width. */
export const programNameKey = (name: string) =>
  name.replace(/[\uff01-\uff5e]/g, (char) => String.fromCharCode(char.charCodeAt(0) - 0xfee0)).replace(/\s+/g, '').toLowerCase();

/** A short name that is also another program's code, name or short name could mean either: refused. */
function requireUnambiguousNames(programs: readonly Program[]): void {
  const owner = new Map<string, Program>();
  for (const program of programs) for (const name of [program.code, program.name.zh, program.name.en]) if (!owner.has(programNameKey(name))) owner.set(programNameKey(name), program);
  programs.forEach((program, i) => {
    for (const alias of program.aliases) {
      const other = owner.get(programNameKey(alias));
      if (other && other !== program) {
        throw new CatalogError(`programs[${i}] (${program.code}).aliases`, `"${alias}" also names ${other.code}: a list could mean either`);
      }
      owner.set(programNameKey(alias), program);
    }
  });
}

/** Checks a raw catalog (as read from YAML or JSON) and returns it typed, or throws CatalogError. */
export function parseCatalog(raw: unknown): ProgramCatalog {
  if (!isRecord(raw)) throw new CatalogError('catalog', 'must be a mapping with fundingSources and programs');
  if (!Array.isArray(raw.fundingSources) || raw.fundingSources.length === 0) {
    throw new CatalogError('fundingSources', 'must list at least one funding source');
  }
  const fundingSources: FundingSource[] = raw.fundingSources.map((source, i) => {
    const entry = `fundingSources[${i}]`;
    if (!isRecord(source) || !isRecord(source.name)) throw new CatalogError(entry, 'must have code and name {zh, en}');
    return {
      code: requireString(source, 'code', entry),
      name: { zh: requireString(source.name, 'zh', `${entry}.name`), en: requireString(source.name, 'en', `${entry}.name`) },
    };
  });
  const fundingCodes = new Set(fundingSources.map((source) => source.code));
  if (fundingCodes.size !== fundingSources.length) throw new CatalogError('fundingSources', 'codes must be unique');
  if (!Array.isArray(raw.programs) || raw.programs.length === 0) throw new CatalogError('programs', 'must list at least one program');
  const programs = raw.programs.map((program, i) => parseProgram(program, i, fundingCodes));
  const byCode = new Map<string, Program>();
  programs.forEach((program, i) => {
    if (byCode.has(program.code)) throw new CatalogError(`programs[${i}] (${program.code})`, 'duplicate program code');
    byCode.set(program.code, program);
  });
  requireUnambiguousNames(programs);
  programs.forEach((program, i) => {
    for (const excluded of program.excludes) {
      if (!byCode.has(excluded)) throw new CatalogError(`programs[${i}] (${program.code}).excludes`, `unknown program "${excluded}"`);
      if (excluded === program.code) throw new CatalogError(`programs[${i}] (${program.code}).excludes`, 'a program cannot exclude itself');
    }
  });
  const datingWindows = parseDatingWindows(raw.datingWindows);
  const budgetDating = parseBudgetDating(raw.budgetDating);
  return { programs, fundingSources, datingWindows, budgetDating, program: (code) => byCode.get(code) };
}

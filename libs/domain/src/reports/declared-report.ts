import Decimal from 'decimal.js';
import { LocalDate, parseLocalDate, schoolYear, term } from '../calendar';
import { ProgramCatalog, standardFor } from '../catalog';
import { DomainError } from '../errors';
import { Money } from '../money';

/**
 * A report as the bureau published it (config/reports/*.yaml): lines of declared counts and
 * amounts exactly as printed (万元), each tied to a program and a time basis, or — for figures that
 * are not student aid — to nothing. Also here: the checks of a report against itself.
 */
export type CountUnit = 'persons' | 'person_times';

export interface DeclaredLine {
  id: string;
  text: string;
  programs: string[];
  basis: 'paid' | 'approved';
  fiscalYear?: number;
  /** Value dates from this day on (e.g. "since 2022-07-01"). */
  since?: LocalDate;
  /** Value dates up to this day (e.g. "as of October"). */
  asOf?: LocalDate;
  count?: { value: number; unit: CountUnit; atLeast: boolean };
  amount?: { printed: string; yuan: Money; atLeast: boolean };
  perHead?: Money;
  parent?: string;
}

export interface DeclaredReport {
  id: string;
  title: { zh: string; en: string };
  published: LocalDate;
  lines: DeclaredLine[];
}

export class ReportError extends DomainError {
  constructor(entry: string, problem: string) {
    super('REPORT_INVALID', 'invalid', `declared report: ${entry}: ${problem}`, entry);
  }
}

type Raw = Record<string, unknown>;
const isRecord = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown) => (value instanceof Date ? value.toISOString().slice(0, 10) : value);

export function parseDeclaredReport(raw: unknown, catalog: ProgramCatalog): DeclaredReport {
  if (!isRecord(raw) || typeof raw.id !== 'string' || !isRecord(raw.title) || !Array.isArray(raw.lines)) {
    throw new ReportError('report', 'needs id, title {zh, en} and lines');
  }
  const ids = new Set<string>();
  const lines = raw.lines.map((line, i): DeclaredLine => {
    const entry = `lines[${i}]`;
    if (!isRecord(line) || typeof line.id !== 'string' || typeof line.text !== 'string') throw new ReportError(entry, 'needs id and text');
    const at = `${entry} (${line.id})`;
    if (ids.has(line.id)) throw new ReportError(at, 'duplicate id');
    ids.add(line.id);
    const programs = line.programs !== undefined ? line.programs : line.program !== undefined ? [line.program] : [];
    if (!Array.isArray(programs) || programs.some((code) => typeof code !== 'string' || !catalog.program(code))) {
      throw new ReportError(`${at}.program`, `unknown program ${JSON.stringify(programs)}`);
    }
    const date = (key: string) => {
      if (line[key] === undefined) return undefined;
      try {
        return parseLocalDate(text(line[key]), key);
      } catch {
        throw new ReportError(`${at}.${key}`, 'must be a date YYYY-MM-DD');
      }
    };
    let count: DeclaredLine['count'];
    if (line.count !== undefined) {
      const c = line.count as Raw;
      if (!isRecord(c) || !Number.isInteger(c.value) || (c.unit !== 'persons' && c.unit !== 'person_times')) {
        throw new ReportError(`${at}.count`, 'needs a whole value and unit persons or person_times');
      }
      count = { value: c.value as number, unit: c.unit, atLeast: c.atLeast === true };
    }
    let amount: DeclaredLine['amount'];
    if (line.amountWanYuan !== undefined) {
      if (typeof line.amountWanYuan !== 'string') throw new ReportError(`${at}.amountWanYuan`, 'must be quoted exactly as printed, e.g. "112.8875"');
      amount = { printed: line.amountWanYuan, yuan: Money.fromWanYuan(line.amountWanYuan, `${at}.amountWanYuan`), atLeast: line.amountAtLeast === true };
    }
    if (line.parent !== undefined && (typeof line.parent !== 'string' || !ids.has(line.parent))) {
      throw new ReportError(`${at}.parent`, 'must name an earlier line');
    }
    const basis = line.basis ?? 'paid';
    if (basis !== 'paid' && basis !== 'approved') throw new ReportError(`${at}.basis`, 'must be paid or approved');
    return {
      id: line.id,
      text: line.text,
      programs: programs as string[],
      basis,
      ...(Number.isInteger(line.fiscalYear) && { fiscalYear: line.fiscalYear as number }),
      ...(date('since') && { since: date('since') }),
      ...(date('asOf') && { asOf: date('asOf') }),
      ...(count && { count }),
      ...(amount && { amount }),
      ...(line.perHead !== undefined && { perHead: Money.parse(String(line.perHead), `${at}.perHead`) }),
      ...(typeof line.parent === 'string' && { parent: line.parent }),
    };
  });
  const title = raw.title as Raw;
  return { id: raw.id, title: { zh: String(title.zh), en: String(title.en) }, published: parseLocalDate(text(raw.published), 'published'), lines };
}

export interface ConsistencyFinding {
  lineId: string;
  check: 'count_times_standard' | 'per_head_over_standard' | 'children_sum' | 'headline_scope';
  ok: boolean;
  detail: string;
}

/** The most one student can receive from a program in a fiscal year under the standard then in force. */
export function yearlyMaximum(catalog: ProgramCatalog, programCode: string, fiscalYear: number): Money | undefined {
  const program = catalog.program(programCode);
  if (!program) return undefined;
  const max = (period: ReturnType<typeof term> | ReturnType<typeof schoolYear>) => {
    const standard = standardFor(program, period);
    const amounts = standard ? Object.values(standard.amounts).flat() : [];
    return amounts.reduce<Money>((top, amount) => (amount!.greaterThan(top) ? amount! : top), Money.ZERO);
  };
  return program.period === 'term'
    ? max(term(fiscalYear, 'spring')).plus(max(term(fiscalYear, 'autumn')))
    : max(schoolYear(fiscalYear));
}

/** An amount shared out per head, rounded half-up to the fen: ¥1,128,875.00 for 1455 is ¥775.86 (775.8591…). */
export function perHeadRounded(amount: Money, count: number): Money {
  return Money.fromFen(new Decimal(amount.fen.toString()).div(count).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toFixed(0));
}

/** What the report says about itself: products, per-head figures against the standards, parts against wholes. */
export function checkReportConsistency(report: DeclaredReport, catalog: ProgramCatalog): ConsistencyFinding[] {
  const findings: ConsistencyFinding[] = [];
  for (const line of report.lines) {
    if (line.perHead && line.count && line.amount) {
      const product = line.perHead.times(line.count.value);
      findings.push({
        lineId: line.id,
        check: 'count_times_standard',
        ok: product.equals(line.amount.yuan),
        detail: `${line.count.value} × ¥${line.perHead} = ¥${product} against ¥${line.amount.yuan} (${line.amount.printed}万元) printed`,
      });
    }
    if (line.programs.length === 1 && line.count && line.amount && line.fiscalYear && !line.count.atLeast) {
      const max = yearlyMaximum(catalog, line.programs[0], line.fiscalYear);
      if (max && !max.isZero()) {
        const allowed = max.times(line.count.value);
        const over = line.amount.yuan.greaterThan(allowed);
        findings.push({
          lineId: line.id,
          check: 'per_head_over_standard',
          ok: !over,
          detail:
            `${perHeadRounded(line.amount.yuan, line.count.value).toDisplay()} a head (rounded half-up to the fen) against a standard of at most ${max.toDisplay()} a year` +
            (over
              ? `: more than the standard allows — ${line.count.value} × ${max.toDisplay()} = ${allowed.toWanYuan()}万元, ${line.amount.yuan.minus(allowed).toWanYuan()}万元 less than the ${line.amount.printed}万元 printed`
              : ''),
        });
      }
    }
    const children = report.lines.filter((child) => child.parent === line.id);
    if (children.length > 0 && line.amount) {
      const sum = Money.sum(children.map((child) => child.amount?.yuan ?? Money.ZERO));
      const residue = line.amount.yuan.minus(sum);
      findings.push({
        lineId: line.id,
        check: 'children_sum',
        ok: residue.isZero(),
        detail: `of which ${children.map((child) => child.amount?.printed ?? '?').join(' + ')} = ${sum.toWanYuan()}万元 against ${line.amount.printed}万元${residue.isZero() ? '' : `: ${residue.toWanYuan()}万元 unexplained`}`,
      });
    }
    if (line.programs.length > 1 && (line.amount || line.count)) findings.push(headlineScope(report, line));
  }
  return findings;
}

/**
 * A headline over several programs against the report's own lines of those programs: their persons
 * (every line with a count, whether or not it gives an amount) and their amounts (the lines that
 * give one, saying which are approvals rather than payments when the headline is of payments).
 */
function headlineScope(report: DeclaredReport, headline: DeclaredLine): ConsistencyFinding {
  const listed = report.lines.filter(
    (other) => other !== headline && other.programs.length === 1 && headline.programs.includes(other.programs[0]) && other.fiscalYear === headline.fiscalYear && !other.since && (other.count || other.amount),
  );
  const counted = listed.filter((other) => other.count?.unit === 'persons');
  const persons = counted.reduce((total, other) => total + other.count!.value, 0);
  const withAmount = listed.filter((other) => other.amount);
  const withoutAmount = listed.filter((other) => !other.amount);
  const amount = Money.sum(withAmount.map((other) => other.amount!.yuan));
  const otherBasis = withAmount.filter((other) => other.basis !== headline.basis);
  const unlisted = headline.programs.filter((code) => !listed.some((other) => other.programs[0] === code));
  const year = headline.fiscalYear ? ` for ${headline.fiscalYear}` : '';
  const personsText = `${persons} persons (${counted.map((other) => `${other.id} ${other.count!.value}`).join(' + ') || 'no line gives a count'}${counted.length > 1 ? '; a student in two programs counts twice' : ''})`;
  const amountText =
    `${amount.toWanYuan()}万元 (the ${withAmount.length} line${withAmount.length === 1 ? '' : 's'} that give${withAmount.length === 1 ? 's' : ''} an amount` +
    `${withoutAmount.length ? `; ${withoutAmount.map((other) => other.id).join(', ')} give${withoutAmount.length === 1 ? 's' : ''} none` : ''})` +
    (otherBasis.length
      ? `, of which ${Money.sum(otherBasis.map((other) => other.amount!.yuan)).toWanYuan()}万元 ${otherBasis[0].basis === 'approved' ? 'approved (拟享受), not paid' : 'paid, not approved'} (${otherBasis.map((other) => other.id).join(', ')})`
      : '');
  const says = [
    ...(headline.count ? [`${headline.count.atLeast ? 'more than ' : ''}${headline.count.value} ${headline.count.unit === 'persons' ? 'persons' : 'person-times'}`] : []),
    ...(headline.amount ? [`${headline.amount.atLeast ? 'more than ' : ''}${headline.amount.printed}万元`] : []),
  ].join(' and ');
  return {
    lineId: headline.id,
    check: 'headline_scope',
    ok: false,
    detail:
      `the listed lines of these programs${year} add up to ${personsText} and ${amountText}` +
      `${unlisted.length ? `; no line lists ${unlisted.join(', ')}` : ''}; the headline says ${says} by ${headline.asOf ?? 'its date'}: the scopes differ`,
  };
}

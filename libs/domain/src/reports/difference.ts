import { Period, parsePeriod, schoolYear, term } from '../calendar';
import { Program, ProgramCatalog, standardFor } from '../catalog';
import { Money } from '../money';
import { STAGES } from '../stages';
import { DeclaredLine } from './declared-report';

/**
 * Why a declared line and the ledger differ, in full: the difference split into parts, each
 * computed from the ledger’s figures (by period and stage) and the catalog's standards, that add
 * up exactly to it — the terms the ledger holds nothing for, what the standard gives for the
 * persons the report counts and the ledger does not, what the report gives beyond the standard,
 * what was valued after the line's date, approvals where the report counts payments.
 */

/** What the ledger holds for one program × period × stage of a line. */
export interface Holding {
  programCode: string;
  period: string;
  stage: string;
  persons: number;
  personTimes: number;
  amount: Money;
}

export interface HeldFigures {
  persons: number;
  personTimes: number;
  amount: Money;
  holdings: readonly Holding[];
  /** Distinct students by stage, over every period. */
  personsByStage: Readonly<Record<string, number>>;
}

export interface LineLedger {
  /** What the ledger holds for the line: its programs, basis and window. */
  held: HeldFigures;
  /** For a line that stops at a date before the end of its fiscal year: what the ledger holds for the whole year. */
  wholeYear?: HeldFigures;
  /** For a line of payments: approvals (拟享受) of its programs that have no payment in the year, and the persons they add. */
  approvedOnly?: { programs: string[]; personTimes: number; amount: Money; personsAdded: number };
}

export interface DifferencePart {
  /** What this part adds to the ledger’s figure on the way to the report’s (negative: takes away). */
  amount: Money;
  persons?: number;
  detail: string;
}

export interface DifferenceExplanation {
  /** The report’s amount less the ledger’s. */
  amount: Money;
  /** The report’s count less the ledger’s, when both count persons. */
  persons?: number;
  /** What the ledger holds, by period and stage. */
  ledger: string;
  parts: DifferencePart[];
  /** The parts added up, against the difference. */
  check: string;
}

const wan = (amount: Money) => `${amount.toWanYuan()}万元`;
const abs = (amount: Money) => (amount.fen < 0n ? Money.fromFen(-amount.fen) : amount);
const periodStart = (id: string) => parsePeriod(id).starts;
const byStageOrder = (a: string, b: string) => STAGES.indexOf(a as never) - STAGES.indexOf(b as never);

/** `a + b − c = d`: the parts of a sum with their signs. */
function sumText(values: Array<Money | number>, show: (value: Money | number) => string, negative: (value: Money | number) => boolean): string {
  return values.map((value, i) => (i === 0 ? (negative(value) ? `−${show(value)}` : show(value)) : `${negative(value) ? '−' : '+'} ${show(value)}`)).join(' ');
}
const amountsText = (amounts: Money[]) => sumText(amounts, (value) => abs(value as Money).toWanYuan(), (value) => (value as Money).fen < 0n);
const countsText = (counts: number[]) => sumText(counts, (value) => String(Math.abs(value as number)), (value) => (value as number) < 0);

/** `15058 primary × ¥250.00` when every payment of the group is the same amount, else `1714 primary ¥566,775.50`. */
function holdingText(holding: Pick<Holding, 'stage' | 'personTimes' | 'amount'>): string {
  if (holding.personTimes > 0 && holding.amount.fen % BigInt(holding.personTimes) === 0n) {
    return `${holding.personTimes} ${holding.stage} × ${Money.fromFen(holding.amount.fen / BigInt(holding.personTimes)).toDisplay()}`;
  }
  return `${holding.personTimes} ${holding.stage} ${holding.amount.toDisplay()}`;
}

function nounOf(line: DeclaredLine, program?: Program): string {
  if (line.basis === 'approved') return 'approvals';
  return program?.kind === 'loan' ? 'loans' : 'payments';
}

/** The highest amount the standard in force for a period allows a stage (the amount itself when fixed). */
function standardAmount(program: Program, period: Period, stage: string): Money {
  const amounts = standardFor(program, period)?.amounts[stage as never] as readonly Money[] | undefined;
  return (amounts ?? []).reduce<Money>((top, amount) => (amount.greaterThan(top) ? amount : top), Money.ZERO);
}

/** The first period of a program that starts on or after a day: what "since 1 July" pays for. */
function firstPeriodFrom(program: Program, since: string): Period {
  const year = Number(since.slice(0, 4));
  const candidates: Period[] = program.period === 'term' ? [term(year, 'spring'), term(year, 'autumn'), term(year + 1, 'spring')] : [schoolYear(year), schoolYear(year + 1)];
  return candidates.find((period) => period.starts >= since)!;
}

const highestOf = (word: string) => (word === 'the standard' ? 'the highest standard' : word === 'the cap' ? 'the highest cap' : word);

function standardWord(program: Program, period: Period): string {
  const rule = standardFor(program, period)?.rule;
  return rule === 'cap' ? 'the cap' : rule === 'tiers' ? 'the highest tier of the standard' : 'the standard';
}

/** The line's difference split into parts that add up to it; undefined when the amounts agree or the report gives none. */
export function explainDifference(line: DeclaredLine, catalog: ProgramCatalog, ledger: LineLedger): DifferenceExplanation | undefined {
  if (!line.amount) return undefined;
  const declared = line.amount.yuan;
  const gap = declared.minus(ledger.held.amount);
  if (gap.isZero()) return undefined;
  const persons = line.count?.unit === 'persons' ? line.count.value - ledger.held.persons : undefined;
  const parts: DifferencePart[] = [];
  if (ledger.wholeYear) parts.push(valuedAfter(line, ledger.held, ledger.wholeYear));
  const current = ledger.wholeYear ?? ledger.held;
  const program = line.programs.length === 1 ? catalog.program(line.programs[0]) : undefined;
  const ledgerText = program
    ? current.holdings.length
      ? `the ledger holds ${nounOf(line, program)} ${heldByPeriod(current)}`
      : `the ledger holds no ${nounOf(line, program)}`
    : `the ledger holds ${heldByProgram(ledger.held)}`;
  if (program) parts.push(...againstStandard(line, program, current));
  else {
    if (ledger.approvedOnly && !ledger.approvedOnly.amount.isZero()) {
      const approved = ledger.approvedOnly;
      parts.push({
        amount: approved.amount,
        ...(persons !== undefined && { persons: approved.personsAdded }),
        detail: `${approved.programs.join(', ')}: ${approved.personTimes} approvals (拟享受) and no payments in ${line.fiscalYear}, which a figure of payments leaves out: ${wan(approved.amount)}${persons !== undefined ? `, ${approved.personsAdded} persons` : ''}`,
      });
    }
    const reached = ledger.held.amount.plus(Money.sum(parts.map((part) => part.amount)));
    const reachedPersons = ledger.held.persons + parts.reduce((total, part) => total + (part.persons ?? 0), 0);
    const beyond = declared.minus(reached);
    const beyondPersons = persons === undefined ? undefined : line.count!.value - reachedPersons;
    parts.push({
      amount: beyond,
      ...(beyondPersons !== undefined && { persons: beyondPersons }),
      detail:
        `${parts.some((part) => !part.amount.isZero()) ? `with all of that the ledger holds ${wan(reached)}${beyondPersons !== undefined ? ` for ${reachedPersons} persons` : ''}; ` : 'beyond what the ledger holds, '}the report’s ${line.amount.atLeast ? 'more than ' : ''}${wan(declared)} ${beyond.fen >= 0n ? `is ${wan(beyond)} more` : `is ${wan(abs(beyond))} less`}` +
        (beyondPersons !== undefined ? `, its ${line.count!.atLeast ? 'more than ' : ''}${line.count!.value} persons ${beyondPersons >= 0 ? `${beyondPersons} more` : `${-beyondPersons} fewer`}` : ''),
    });
  }
  const total = Money.sum(parts.map((part) => part.amount));
  // Each part is computed from the figures; the last one is what remains. They add up by construction: say so only if true.
  if (!total.equals(gap)) throw new Error(`the parts of the difference of ${line.id} add up to ${total}, not ${gap}`);
  const shown = parts.filter((part) => !part.amount.isZero());
  const personParts = parts.filter((part) => part.persons !== undefined && part.persons !== 0);
  const check =
    (shown.length > 1 ? `${amountsText(shown.map((part) => part.amount))} = ${wan(gap)}, the whole difference` : `${wan(gap)}: the whole difference`) +
    (persons !== undefined && personParts.length > 1 ? `; ${countsText(personParts.map((part) => part.persons!))} = ${persons} persons` : '');
  return { amount: gap, ...(persons !== undefined && { persons }), ledger: ledgerText, parts, check };
}

function heldByPeriod(figures: HeldFigures): string {
  const periods = [...new Set(figures.holdings.map((holding) => holding.period))].sort((a, b) => periodStart(a).localeCompare(periodStart(b)));
  return periods
    .map((period) => {
      const holdings = figures.holdings.filter((holding) => holding.period === period).sort((a, b) => byStageOrder(a.stage, b.stage));
      const amount = Money.sum(holdings.map((holding) => holding.amount));
      return `for ${period}: ${holdings.map(holdingText).join(' + ')}${holdings.length > 1 || holdingText(holdings[0]).includes('×') ? ` = ${wan(amount)}` : ''}`;
    })
    .join('; ');
}

function heldByProgram(figures: HeldFigures): string {
  const programs = [...new Set(figures.holdings.map((holding) => holding.programCode))];
  if (programs.length === 0) return 'nothing for these programs';
  const amounts = programs.map((code) => Money.sum(figures.holdings.filter((holding) => holding.programCode === code).map((holding) => holding.amount)));
  return `${programs.map((code, i) => `${code} ${amounts[i].toWanYuan()}`).join(' + ')} = ${wan(figures.amount)} for ${figures.persons} persons`;
}

/** What the ledger holds for the line's year beyond its date: by program and period. */
function valuedAfter(line: DeclaredLine, held: HeldFigures, wholeYear: HeldFigures): DifferencePart {
  const key = (holding: Holding) => `${holding.programCode} ${holding.period}`;
  const sum = (figures: HeldFigures, k: string) => Money.sum(figures.holdings.filter((holding) => key(holding) === k).map((holding) => holding.amount));
  const keys = [...new Set([...held.holdings, ...wholeYear.holdings].map(key))];
  const later = keys.map((k) => ({ k, amount: sum(wholeYear, k).minus(sum(held, k)) })).filter((entry) => !entry.amount.isZero());
  const amount = wholeYear.amount.minus(held.amount);
  const persons = wholeYear.persons - held.persons;
  const list = later.map((entry) => `${entry.k} ${entry.amount.toWanYuan()}`).join(' + ');
  return {
    amount,
    ...(line.count?.unit === 'persons' && { persons }),
    detail: `valued after ${line.asOf}, later in ${line.fiscalYear}: ${list || 'nothing'}${later.length > 1 ? ` = ${wan(amount)}` : '万元'}${line.count?.unit === 'persons' ? `, ${persons} persons more` : ''}`,
  };
}

/**
 * A line of one program against the catalog's standard: per period of its year, what the standard
 * gives the ledger’s students against what the ledger holds; the persons the report counts beyond
 * the ledger’s, at the standard; and what the report gives beyond the standard for all its persons.
 */
function againstStandard(line: DeclaredLine, program: Program, figures: HeldFigures): DifferencePart[] {
  const parts: DifferencePart[] = [];
  const noun = nounOf(line, program);
  const declared = line.amount!.yuan;
  const stages = Object.keys(figures.personsByStage).filter((stage) => figures.personsByStage[stage] > 0).sort(byStageOrder);
  const heldIn = (period: string, stage?: string) =>
    Money.sum(figures.holdings.filter((holding) => holding.period === period && (stage === undefined || holding.stage === stage)).map((holding) => holding.amount));
  const periodsHeld = [...new Set(figures.holdings.map((holding) => holding.period))].sort((a, b) => periodStart(a).localeCompare(periodStart(b)));
  let wholeForLedger: Money;
  /** What the standard gives one more person (or person-time) of each stage, for the count part. */
  let pricePerStage: Map<string, Money> | undefined;
  let word = 'the standard';
  let yearlyText: string | undefined;
  if (program.period === 'term' && line.fiscalYear) {
    const terms = [term(line.fiscalYear, 'spring'), term(line.fiscalYear, 'autumn')];
    word = standardWord(program, terms[0]);
    for (const t of terms) {
      const atStandard = stages.map((stage) => ({ stage, personTimes: figures.personsByStage[stage], amount: standardAmount(program, t, stage).times(figures.personsByStage[stage]) }));
      const expected = Money.sum(atStandard.map((entry) => entry.amount));
      const held = heldIn(t.id);
      const short = expected.minus(held);
      if (short.isZero()) continue;
      const students = stages.reduce((total, stage) => total + figures.personsByStage[stage], 0);
      const standardText = `${atStandard.map(holdingText).join(' + ')} = ${wan(expected)}`;
      parts.push({
        amount: short,
        detail: held.isZero()
          ? `${t.id}: the ledger holds no ${noun}; at ${word} for the same ${students} students, ${standardText}`
          : `${t.id}: at ${word} for the ledger’s ${students} students, ${standardText}, against ${wan(held)} held: ${short.fen > 0n ? '' : '−'}${wan(abs(short))}`,
      });
    }
    for (const period of periodsHeld.filter((id) => !terms.some((t) => t.id === id))) {
      const held = heldIn(period);
      parts.push({ amount: Money.ZERO.minus(held), detail: `${period}: ${wan(held)} held for a term outside ${line.fiscalYear}’s two, which the year’s standard does not count: −${wan(held)}` });
    }
    const yearly = (stage: string) => Money.sum(terms.map((t) => standardAmount(program, t, stage)));
    wholeForLedger = Money.sum(stages.map((stage) => yearly(stage).times(figures.personsByStage[stage])));
    yearlyText = stages.map((stage) => `${figures.personsByStage[stage]} ${stage} × ${yearly(stage).toDisplay()} a year`).join(' + ');
    pricePerStage = new Map(program.stages.map((stage) => [stage, line.count?.unit === 'person_times' ? terms.map((t) => standardAmount(program, t, stage)).reduce((a, b) => (a.greaterThan(b) ? a : b)) : yearly(stage)]));
  } else {
    const expectedOf = (period: string) => {
      const p = parsePeriod(period);
      return figures.holdings
        .filter((holding) => holding.period === period)
        .map((holding) => ({ stage: holding.stage, personTimes: holding.personTimes, amount: standardAmount(program, p, holding.stage).times(holding.personTimes) }))
        .sort((a, b) => byStageOrder(a.stage, b.stage));
    };
    wholeForLedger = Money.ZERO;
    for (const period of periodsHeld) {
      const atStandard = expectedOf(period);
      const expected = Money.sum(atStandard.map((entry) => entry.amount));
      wholeForLedger = wholeForLedger.plus(expected);
      const held = heldIn(period);
      const short = expected.minus(held);
      word = standardWord(program, parsePeriod(period));
      if (short.isZero()) continue;
      parts.push({
        amount: short,
        detail: `${period}: at ${word} for the ledger’s ${noun}, ${atStandard.map(holdingText).join(' + ')} = ${wan(expected)}, against ${wan(held)} held: ${short.fen > 0n ? '' : '−'}${wan(abs(short))}`,
      });
    }
    const pricingPeriods: Period[] = line.fiscalYear
      ? [schoolYear(line.fiscalYear)]
      : periodsHeld.length
        ? periodsHeld.map((id) => parsePeriod(id))
        : line.since
          ? [firstPeriodFrom(program, line.since)]
          : [];
    if (pricingPeriods.length > 0) {
      word = standardWord(program, pricingPeriods[0]);
      pricePerStage = new Map(program.stages.map((stage) => [stage, pricingPeriods.map((p) => standardAmount(program, p, stage)).reduce((a, b) => (a.greaterThan(b) ? a : b))]));
    }
  }
  const unit = line.count?.unit === 'person_times' ? 'person-times' : 'persons';
  const ledgerCount = line.count?.unit === 'person_times' ? figures.personTimes : figures.persons;
  const extra = line.count ? line.count.value - ledgerCount : 0;
  const prices = pricePerStage ? [...pricePerStage.entries()].filter(([, price]) => !price.isZero()) : [];
  const highest = prices.reduce<[string, Money] | undefined>((top, entry) => (!top || entry[1].greaterThan(top[1]) ? entry : top), undefined);
  const uniform = prices.every(([, price]) => highest && price.equals(highest[1]));
  const per = line.count?.unit === 'person_times' ? 'a time' : 'a year';
  let whole = wholeForLedger;
  if (extra !== 0 && highest) {
    const amount = highest[1].times(extra);
    whole = whole.plus(amount);
    parts.push({
      amount,
      ...(line.count?.unit === 'persons' && { persons: extra }),
      detail: `the report counts ${Math.abs(extra)} ${unit} ${extra > 0 ? 'more' : 'fewer'} than the ledger: at ${uniform ? word : `${highestOf(word)} (${highest[0]})`}, ${extra < 0 ? '−' : ''}${Math.abs(extra)} × ${highest[1].toDisplay()} ${per} = ${extra < 0 ? '−' : ''}${wan(abs(amount))}`,
    });
  }
  const beyond = declared.minus(whole);
  if (extra !== 0 && !highest) {
    // No period to price the persons the ledger does not hold at a standard: what remains is the report's.
    parts.push({
      amount: beyond,
      detail: `the ledger holds ${wan(whole)} at ${word} for its ${ledgerCount} ${unit}; the report’s ${wan(declared)} for ${line.count!.value} ${unit} is ${beyond.fen >= 0n ? `${wan(beyond)} more` : `${wan(abs(beyond))} less`}`,
    });
    return parts;
  }
  const scope = line.fiscalYear ? `the whole of ${line.fiscalYear}` : line.since ? `since ${line.since}` : 'the line’s periods';
  const forWhom = line.count
    ? `the declared ${line.count.value} ${unit}${extra === 0 && yearlyText ? ` (${yearlyText})` : extra !== 0 ? ` (the ledger’s ${ledgerCount} ${extra > 0 ? `and ${extra} more` : `less ${-extra}`})` : ''}`
    : `the ledger’s ${noun}`;
  const evenAtHighest =
    line.count && highest && !uniform && beyond.fen > 0n && declared.greaterThan(highest[1].times(line.count.value))
      ? `; even at ${highest[1].toDisplay()} ${per} (${highest[0]}) for all ${line.count.value}, ${wan(declared.minus(highest[1].times(line.count.value)))} more`
      : '';
  parts.push({
    amount: beyond,
    detail:
      `${scope} at ${word} for ${forWhom}: ${wan(whole)}; the report’s ${wan(declared)} ` +
      `${beyond.isZero() ? 'is exactly that' : beyond.fen > 0n ? `exceeds it by ${wan(beyond)}` : `is ${wan(abs(beyond))} below it`}${evenAtHighest}`,
  });
  return parts;
}

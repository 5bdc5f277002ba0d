import { LocalDate, addDays, addYears } from '../calendar';
import { ProgramCatalog, RetentionRule } from '../catalog';

/**
 * When a student's personal data is due for erasure because its retention period has ended
 * (PIPL Art. 47): each program's rule (`retention` in the catalog) counted from when the student
 * left that program, as the ledger shows it — there is no roster.
 */

/** What the ledger holds of one student under one program, as far as retention is concerned. */
export interface ProgramRecordDates {
  readonly programCode: string;
  /** The end of the last period the student was aided for under the program; none for a record of repayments only. */
  readonly lastPeriodEnd?: LocalDate;
  /** The last date recorded under the program: a value date, an approval date, a repayment date. */
  readonly lastRecordedOn: LocalDate;
  /** Fen lent under the program and not repaid (0 for programs that do not lend). */
  readonly outstandingLoanFen: bigint;
}

export interface StudentRetentionRecord {
  /** The student's data is erased already: never due again. */
  readonly erased: boolean;
  /** On legal hold (storage only): a law still requires the data kept, whatever the rules say. */
  readonly onLegalHold?: boolean;
  readonly programs: readonly ProgramRecordDates[];
}

/** One program's part of a decision: what its rule counts from, and the first day it no longer keeps the data. */
export interface ProgramRetention {
  readonly programCode: string;
  readonly anchor: LocalDate;
  readonly dueFrom: LocalDate;
}

export type RetentionDecision =
  | { readonly due: true; readonly dueSince: LocalDate; readonly programs: readonly ProgramRetention[] }
  | {
      readonly due: false;
      /**
       * - `erased`: nothing left to erase;
       * - `no_records`: no aid recorded (nothing to count from);
       * - `no_rule`: a program the catalog does not hold (any more): no rule says the data may go;
       * - `loan_outstanding`: a loan not repaid keeps its record;
       * - `retained`: a program's rule has not run out yet (`dueFrom` says when the last one does);
       * - `legal_hold`: every rule has run out (since `dueFrom`), but the student is on legal hold.
       */
      readonly reason: 'erased' | 'no_records' | 'no_rule' | 'loan_outstanding' | 'retained' | 'legal_hold';
      readonly programCode?: string;
      readonly dueFrom?: LocalDate;
    };

/** The day a rule counts from, for one program's record. */
export function retentionAnchorOf(rule: RetentionRule, record: ProgramRecordDates): LocalDate {
  const periodEnd = record.lastPeriodEnd ?? record.lastRecordedOn;
  if (rule.after === 'last_period_end') return periodEnd;
  return periodEnd > record.lastRecordedOn ? periodEnd : record.lastRecordedOn;
}

/** The first day a program's rule no longer keeps the data: the day after `personalDataYears` years since the anchor. */
export function retentionDueFrom(rule: RetentionRule, record: ProgramRecordDates): LocalDate {
  return addDays(addYears(retentionAnchorOf(rule, record), rule.personalDataYears), 1);
}

/**
 * The latest anchor whose rule has run out by `today`: for every anchor, `retentionDueFrom` is on or
 * before today exactly when the anchor is on or before this day. Lets the read side leave out, in
 * one pass over its rows, the students certainly not due; `decideRetention` decides the rest.
 */
export function latestDueAnchor(rule: RetentionRule, today: LocalDate): LocalDate {
  // due ⇔ addYears(anchor, N) < today ⇔ addYears(anchor, N) ≤ yesterday; addYears never decreases.
  const candidate = addYears(addDays(today, -1), -rule.personalDataYears);
  const next = addDays(candidate, 1);
  // 29 February N years back maps to 28 February too, when that year has one.
  return addYears(next, rule.personalDataYears) < today ? next : candidate;
}

/**
 * Whether a student's personal data is due for erasure on `today` (the bureau's day, China time,
 * from the ledger's clock): only when, for every program the student has records under, that
 * program's rule has run out — a student still aided by one program keeps all their data — and no
 * loan of theirs is outstanding, and they are not on legal hold. Due since the day the last of those
 * rules ran out.
 */
export function decideRetention(record: StudentRetentionRecord, catalog: Pick<ProgramCatalog, 'program'>, today: LocalDate): RetentionDecision {
  if (record.erased) return { due: false, reason: 'erased' };
  if (record.programs.length === 0) return { due: false, reason: 'no_records' };
  const programs: ProgramRetention[] = [];
  for (const line of record.programs) {
    const program = catalog.program(line.programCode);
    if (!program) return { due: false, reason: 'no_rule', programCode: line.programCode };
    if (line.outstandingLoanFen > 0n) return { due: false, reason: 'loan_outstanding', programCode: line.programCode };
    programs.push({ programCode: line.programCode, anchor: retentionAnchorOf(program.retention, line), dueFrom: retentionDueFrom(program.retention, line) });
  }
  programs.sort((a, b) => a.programCode.localeCompare(b.programCode));
  const last = programs.reduce((latest, program) => (program.dueFrom > latest.dueFrom ? program : latest));
  if (last.dueFrom > today) return { due: false, reason: 'retained', programCode: last.programCode, dueFrom: last.dueFrom };
  // A hold keeps the data past its rules: storage only, until the hold is lifted (or an admin erases).
  if (record.onLegalHold) return { due: false, reason: 'legal_hold', dueFrom: last.dueFrom };
  return { due: true, dueSince: last.dueFrom, programs };
}

import { LocalDate, fiscalYearOf } from '../calendar';
import { Program, ProgramCatalog } from '../catalog';
import { Decider } from '../decider';
import {
  ApprovalMismatch,
  DisbursementAlreadyReversed,
  DisbursementNotFound,
  ApprovalNotFound,
  DuplicateApproval,
  DuplicatePayment,
  IdAlreadyUsed,
  LoanNotFound,
  LoanOverYearlyCap,
  LoanProgramNeedsLoanCommand,
  MutuallyExclusivePrograms,
  NotALoanProgram,
  RepaymentBeforeLoan,
  RepaymentExceedsOutstanding,
  ReversalBeforePayment,
  StudentAlreadyOnHold,
  StudentDataAlreadyErased,
  StudentNotOnHold,
  StudentOnLegalHold,
  StudentRecordErased,
  StudentRecordNotFound,
  UnknownFundingSource,
} from '../errors';
import { Money } from '../money';
import { BudgetStanding, requireWithinBudget } from '../budget/budget';
import {
  requireDatedWithinPeriod,
  requireHasHappened,
  requireOpen,
  requirePayee,
  requirePeriodBasis,
  requireProgram,
  requireStage,
  requireWithinStandard,
} from './aid-rules';
import { duplicatedPayments, exclusiveCounterparts, loanOverYearlyCap } from './history-rules';
import {
  AidLineCommand,
  ApproveAid,
  BeneficiaryCommand,
  EraseStudentData,
  LiftLegalHold,
  PlaceLegalHold,
  RecordDisbursement,
  RecordLoanDisbursement,
  RecordLoanRepayment,
  ReverseDisbursement,
} from './beneficiary.commands';
import {
  AidApproved,
  AidLine,
  BeneficiaryEvent,
  BeneficiaryRef,
  DisbursementRecorded,
  LoanDisbursed,
  LoanRepaymentRecorded,
} from './beneficiary.events';

/**
 * One beneficiary's record (stream `beneficiary-<key>`): the rules that depend on what was already
 * recorded for the student — no second payment of a program for a period, mutually exclusive
 * programs (approved or paid), payments that settle an approval, reversals, loan caps and
 * repayments — plus the catalog rules of aid-rules.ts and the program's budget (budget.ts).
 *
 * Resubmitting a record with the same id and the same content decides nothing (idempotent by
 * business key); the same id with other content is refused.
 */

interface Recorded<Data> {
  /** The event data as stored, to compare a resubmission with. */
  readonly data: Data;
}

export interface BeneficiaryState {
  readonly approvals: ReadonlyMap<string, Recorded<AidApproved['data']>>;
  readonly disbursements: ReadonlyMap<string, Recorded<DisbursementRecorded['data']> & { readonly reversed: boolean }>;
  readonly loans: ReadonlyMap<string, Recorded<LoanDisbursed['data']> & { readonly repaid: Money }>;
  readonly repayments: ReadonlyMap<string, LoanRepaymentRecorded['data']>;
  /** The record's personal data was erased: nothing more is recorded on it. */
  readonly erased?: boolean;
  /** The record is on legal hold (storage only): nothing more is recorded on it until the hold is lifted. */
  readonly onHold?: boolean;
}

export interface BeneficiaryContext {
  readonly catalog: ProgramCatalog;
  /** The bureau's date (China time) as the command is decided, from the application's clock: no date may be after it. */
  readonly today: LocalDate;
  /**
   * For a payment: its program's budget for the payment's fiscal year, as the ledger stood before
   * it; absent when no budget is allocated to that program and year (then nothing is checked).
   */
  readonly budget?: BudgetStanding;
}

/** A record's content, to tell a resubmission from another record under the same id (only written out when an id comes again). */
const fingerprint = (data: unknown) => JSON.stringify(data);

const initialState = (): BeneficiaryState => ({
  approvals: new Map(),
  disbursements: new Map(),
  loans: new Map(),
  repayments: new Map(),
});

const withEntry = <K, V>(map: ReadonlyMap<K, V>, key: K, value: V): ReadonlyMap<K, V> => new Map(map).set(key, value);

function evolve(state: BeneficiaryState, event: BeneficiaryEvent): BeneficiaryState {
  switch (event.type) {
    case 'StudentDataErased':
      // An erasure ends a hold: with the data key gone there is nothing left to keep.
      return { ...state, erased: true, onHold: false };
    case 'StudentPlacedOnLegalHold':
      return { ...state, onHold: true };
    case 'StudentLegalHoldLifted':
      return { ...state, onHold: false };
    case 'AidApproved':
      return { ...state, approvals: withEntry(state.approvals, event.data.approvalId, { data: event.data }) };
    case 'DisbursementRecorded':
      return {
        ...state,
        disbursements: withEntry(state.disbursements, event.data.disbursementId, {
          data: event.data,
          reversed: false,
        }),
      };
    case 'DisbursementReversed': {
      const original = state.disbursements.get(event.data.disbursementId);
      if (!original) return state;
      return { ...state, disbursements: withEntry(state.disbursements, event.data.disbursementId, { ...original, reversed: true }) };
    }
    case 'LoanDisbursed':
      return {
        ...state,
        loans: withEntry(state.loans, event.data.loanId, { data: event.data, repaid: Money.ZERO }),
      };
    case 'LoanRepaymentRecorded': {
      const loan = state.loans.get(event.data.loanId);
      const repayments = withEntry(state.repayments, event.data.repaymentId, event.data);
      if (!loan) return { ...state, repayments };
      const repaid = loan.repaid.plus(Money.parse(event.data.amount));
      return { ...state, repayments, loans: withEntry(state.loans, event.data.loanId, { ...loan, repaid }) };
    }
    case 'StudentIdentifierLinked':
      // Stored in the linked identifier's own stream, never in a record: nothing to fold.
      return state;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

function beneficiaryRef(command: AidLineCommand): BeneficiaryRef {
  const { key, residentId, studentNumber, name } = command.student;
  return { key, ...(residentId && { residentId }), ...(studentNumber && { studentNumber }), ...(name && { name }) };
}

function aidLine(command: AidLineCommand): AidLine {
  return {
    beneficiary: beneficiaryRef(command),
    schoolCode: command.schoolCode,
    stage: command.stage,
    programCode: command.programCode,
    period: command.period.id,
    amount: command.amount.toString(),
  };
}

/** Same id again: nothing to do when the content matches, refused when it does not. */
function alreadyRecorded(existing: Recorded<unknown> | undefined, data: unknown, what: string, id: string): boolean {
  if (!existing) return false;
  if (fingerprint(existing.data) === fingerprint(data)) return true;
  throw new IdAlreadyUsed(`${what} ${id} is already recorded with different content`, `${what}Id`);
}

/** Catalog rules every aid line passes (aid-rules.ts), its date (value date, approval date) among them: within the period's window, and not after today. */
function checkLine({ catalog, today }: BeneficiaryContext, program: Program, command: AidLineCommand, date: LocalDate, dateField: string): void {
  requirePeriodBasis(program, command.period);
  requireOpen(program, command.period);
  requireStage(program, command.stage);
  requireDatedWithinPeriod(catalog, command.period, date, dateField);
  requireHasHappened(date, today, dateField);
}

/**
 * A payment that settles an approval pays what was approved: the same stage and amount, at the same
 * school — totals by school set approved against paid, so a payment booked to another school than
 * its approval leaves one school approved-unpaid and another paid-unapproved. (Program and period
 * are how the approval is found.) A student who changed school needs an approval at the new one.
 */
function requireSettlesApproval(approval: AidApproved['data'], payment: RecordDisbursement['data']): void {
  const differences: Array<[field: string, approved: string, paid: string]> = [
    ['stage', approval.stage, payment.stage],
    ['amount', Money.parse(approval.amount).toString(), payment.amount.toString()],
    ['schoolCode', approval.schoolCode, payment.schoolCode],
  ];
  const differing = differences.find(([, approved, paid]) => approved !== paid);
  if (differing) {
    const [field, approved, paid] = differing;
    throw new ApprovalMismatch(`approval ${approval.approvalId} is for ${field} ${approved}; a payment settling it cannot have ${paid}`, field);
  }
}

/** The budget standing given for this payment, which must be its program's and fiscal year's. */
function budgetOf(context: BeneficiaryContext, programCode: string, valueDate: LocalDate): BudgetStanding | undefined {
  const { budget } = context;
  if (budget && (budget.programCode !== programCode || budget.fiscalYear !== fiscalYearOf(valueDate))) {
    throw new Error(`budget standing of ${budget.programCode} ${budget.fiscalYear} given for a payment of ${programCode} in ${fiscalYearOf(valueDate)}`);
  }
  return budget;
}

const withoutOverride = ({ budgetOverride: _, ...data }: DisbursementRecorded['data']) => data;

/** The record's payments as the history rules see them: each with whether it was reversed. */
function paymentsInRecord(state: BeneficiaryState) {
  return [...state.disbursements.values()].map((payment) => ({ ...payment.data, reversed: payment.reversed }));
}

const approvalsInRecord = (state: BeneficiaryState) => [...state.approvals.values()].map((approval) => approval.data);

/** Exclusions hold whichever came first, an approval or a payment: the record's of both are checked. */
function requireNotExclusive(catalog: ProgramCatalog, program: Program, period: string, state: BeneficiaryState): void {
  const against: Array<[lines: Iterable<{ programCode: string; period: string; reversed?: boolean }>, record: string]> = [
    [approvalsInRecord(state), 'an approval'],
    [paymentsInRecord(state), 'a payment'],
  ];
  for (const [lines, record] of against) {
    const [other] = exclusiveCounterparts(catalog, { programCode: program.code, period }, lines);
    if (other) {
      throw new MutuallyExclusivePrograms(
        `${program.code} and ${other.programCode} exclude each other: the student already has ${record} for ${other.programCode} in ${period}`,
        'programCode',
      );
    }
  }
}

function approveAid({ data }: ApproveAid, state: BeneficiaryState, context: BeneficiaryContext): BeneficiaryEvent[] {
  const { catalog } = context;
  const program = requireProgram(catalog, data.programCode);
  if (program.kind === 'loan') throw new LoanProgramNeedsLoanCommand(`${program.code} is a loan: record it as a loan disbursement`, 'programCode');
  checkLine(context, program, data, data.approvedOn, 'approvedOn');
  requireWithinStandard(program, data.period, data.stage, data.amount);
  const event: AidApproved = { type: 'AidApproved', data: { approvalId: data.approvalId, ...aidLine(data), approvedOn: data.approvedOn } };
  if (alreadyRecorded(state.approvals.get(data.approvalId), event.data, 'approval', data.approvalId)) return [];
  const duplicate = [...state.approvals.values()].find(
    (approval) => approval.data.programCode === program.code && approval.data.period === data.period.id,
  );
  if (duplicate) {
    throw new DuplicateApproval(`the student already has approval ${duplicate.data.approvalId} for ${program.code} in ${data.period.id}`, 'period');
  }
  requireNotExclusive(catalog, program, data.period.id, state);
  return [event];
}

function recordDisbursement({ data }: RecordDisbursement, state: BeneficiaryState, context: BeneficiaryContext): BeneficiaryEvent[] {
  const { catalog } = context;
  const program = requireProgram(catalog, data.programCode);
  if (program.kind === 'loan') throw new LoanProgramNeedsLoanCommand(`${program.code} is a loan: record it as a loan disbursement`, 'programCode');
  checkLine(context, program, data, data.valueDate, 'valueDate');
  requirePayee(program, data.payee.type);
  requireWithinStandard(program, data.period, data.stage, data.amount);
  if (data.fundingSource && !program.fundingSources.includes(data.fundingSource)) {
    throw new UnknownFundingSource(`${program.code} is funded by ${program.fundingSources.join(', ')}, not ${data.fundingSource}`, 'fundingSource');
  }
  if (data.approvalId) {
    const approval = state.approvals.get(data.approvalId);
    if (!approval || approval.data.programCode !== program.code || approval.data.period !== data.period.id) {
      throw new ApprovalNotFound(`the student has no approval ${data.approvalId} for ${program.code} in ${data.period.id}`, 'approvalId');
    }
    requireSettlesApproval(approval.data, data);
  }
  const event: DisbursementRecorded = {
    type: 'DisbursementRecorded',
    data: {
      disbursementId: data.disbursementId,
      ...aidLine(data),
      payee: data.payee,
      valueDate: data.valueDate,
      ...(data.approvalId && { approvalId: data.approvalId }),
      ...(data.fundingSource && { fundingSource: data.fundingSource }),
    },
  };
  // A resubmission is the same payment whatever override it carries: the override is no part of what was paid.
  const existing = state.disbursements.get(data.disbursementId);
  if (alreadyRecorded(existing && { data: withoutOverride(existing.data) }, event.data, 'disbursement', data.disbursementId)) return [];
  const [duplicate] = duplicatedPayments({ programCode: program.code, period: data.period.id }, paymentsInRecord(state));
  if (duplicate) {
    throw new DuplicatePayment(
      `the student was already paid ${program.code} for ${data.period.id} (disbursement ${duplicate.disbursementId}); reverse it first to pay again`,
      'period',
    );
  }
  requireNotExclusive(catalog, program, data.period.id, state);
  const budgetOverride = requireWithinBudget(budgetOf(context, program.code, data.valueDate), data.amount, data.budgetOverride);
  return [budgetOverride ? { ...event, data: { ...event.data, budgetOverride } } : event];
}

function reverseDisbursement({ data }: ReverseDisbursement, state: BeneficiaryState, { today }: BeneficiaryContext): BeneficiaryEvent[] {
  const payment = state.disbursements.get(data.disbursementId);
  if (!payment) throw new DisbursementNotFound(`no disbursement ${data.disbursementId} for this student`, 'disbursementId');
  if (payment.reversed) throw new DisbursementAlreadyReversed(`disbursement ${data.disbursementId} is already reversed`, 'disbursementId');
  if (data.valueDate < payment.data.valueDate) {
    throw new ReversalBeforePayment(`disbursement ${data.disbursementId} was paid on ${payment.data.valueDate}; it cannot be reversed on ${data.valueDate}, before that`, 'valueDate');
  }
  requireHasHappened(data.valueDate, today, 'valueDate');
  const { disbursementId, beneficiary, schoolCode, stage, programCode, period, amount, valueDate } = payment.data;
  return [
    {
      type: 'DisbursementReversed',
      data: {
        disbursementId,
        beneficiary,
        schoolCode,
        stage,
        programCode,
        period,
        amount,
        originalValueDate: valueDate,
        reason: data.reason,
        reasonCode: data.reasonCode,
        valueDate: data.valueDate,
      },
    },
  ];
}

function recordLoanDisbursement({ data }: RecordLoanDisbursement, state: BeneficiaryState, context: BeneficiaryContext): BeneficiaryEvent[] {
  const program = requireProgram(context.catalog, data.programCode);
  if (program.kind !== 'loan') throw new NotALoanProgram(`${program.code} is not a loan program`, 'programCode');
  checkLine(context, program, data, data.valueDate, 'valueDate');
  requirePayee(program, data.payee.type);
  data.amount.assertPositive();
  const event: LoanDisbursed = { type: 'LoanDisbursed', data: { loanId: data.loanId, ...aidLine(data), payee: data.payee, valueDate: data.valueDate } };
  if (alreadyRecorded(state.loans.get(data.loanId), event.data, 'loan', data.loanId)) return [];
  const loans = [...state.loans.values()].map((loan) => ({ ...loan.data, amount: Money.parse(loan.data.amount) }));
  const excess = loanOverYearlyCap(program, data.period, data.stage, data.amount, loans);
  if (excess) {
    throw new LoanOverYearlyCap(
      `${program.code} allows ¥${excess.cap} a school year for ${data.stage}; ¥${excess.borrowed} already borrowed in ${data.period.id}, ¥${data.amount} more exceeds it`,
      'amount',
    );
  }
  return [event];
}

/** A repayment is dated on or after the day its loan was paid: money cannot come back before it went out. */
function requireRepaidAfterLoan(loan: LoanDisbursed['data'], valueDate: LocalDate): void {
  if (valueDate < loan.valueDate) {
    throw new RepaymentBeforeLoan(`loan ${loan.loanId} was paid on ${loan.valueDate}; a repayment of it cannot be dated ${valueDate}, before that`, 'valueDate');
  }
}

function recordLoanRepayment({ data }: RecordLoanRepayment, state: BeneficiaryState, { today }: BeneficiaryContext): BeneficiaryEvent[] {
  const loan = state.loans.get(data.loanId);
  if (!loan) throw new LoanNotFound(`no loan ${data.loanId} for this student`, 'loanId');
  data.amount.assertPositive();
  const eventData = {
    repaymentId: data.repaymentId,
    loanId: data.loanId,
    beneficiary: loan.data.beneficiary,
    programCode: loan.data.programCode,
    amount: data.amount.toString(),
    valueDate: data.valueDate,
  };
  const existing = state.repayments.get(data.repaymentId);
  if (existing !== undefined) {
    if (fingerprint(existing) === fingerprint(eventData)) return [];
    throw new IdAlreadyUsed(`repayment ${data.repaymentId} is already recorded with different content`, 'repaymentId');
  }
  requireRepaidAfterLoan(loan.data, data.valueDate);
  requireHasHappened(data.valueDate, today, 'valueDate');
  const outstanding = Money.parse(loan.data.amount).minus(loan.repaid);
  if (data.amount.greaterThan(outstanding)) {
    throw new RepaymentExceedsOutstanding(`loan ${data.loanId} has ¥${outstanding} outstanding; a repayment of ¥${data.amount} exceeds it`, 'amount');
  }
  return [{ type: 'LoanRepaymentRecorded', data: eventData }];
}

/** Whether the record holds anything: an erasure names a record that exists. */
const isEmpty = (state: BeneficiaryState) => state.approvals.size + state.disbursements.size + state.loans.size + state.repayments.size === 0;

/**
 * Erasure: the record must exist and not be erased already. The event names the record by its key
 * alone; destroying the data key is the application's (the key store is outside the log).
 */
function eraseStudentData({ data }: EraseStudentData, state: BeneficiaryState): BeneficiaryEvent[] {
  if (state.erased) throw new StudentDataAlreadyErased("该学生的个人信息已删除 / this student's personal data is already erased", 'student');
  if (isEmpty(state)) throw new StudentRecordNotFound('没有该学生的记录 / no record for this student', 'student');
  // A hold says a law still requires the data kept: "the retention period ended" contradicts it. An admin
  // erasing on another basis (the purpose met, consent withdrawn) decides the hold is over; retention does not.
  if (state.onHold && data.legalBasis === 'RETENTION_ENDED') {
    throw new StudentOnLegalHold(
      '该学生处于法律保留（封存）状态，不能以保存期限届满为由删除；先解除封存 / this student is on legal hold: their data is not erased because a retention period ended (lift the hold first)',
      'legalBasis',
    );
  }
  return [{ type: 'StudentDataErased', data: { beneficiary: { key: data.student.key }, legalBasis: data.legalBasis, reference: data.reference } }];
}

/** Nothing more is recorded on a record whose personal data was erased (its data key is gone). */
function requireNotErased(state: BeneficiaryState): void {
  if (state.erased) throw new StudentRecordErased("该学生的个人信息已删除，其记录上不再记录任何内容 / this student's personal data was erased: nothing more is recorded on their record", 'student');
}

/**
 * Legal hold (PIPL Art. 47, second paragraph: storage only): on an existing record whose data is not
 * erased (an erased record has nothing left to keep), and not twice. The event names the record by
 * its key alone.
 */
function placeLegalHold({ data }: PlaceLegalHold, state: BeneficiaryState): BeneficiaryEvent[] {
  requireNotErased(state);
  if (isEmpty(state)) throw new StudentRecordNotFound('没有该学生的记录 / no record for this student', 'student');
  if (state.onHold) throw new StudentAlreadyOnHold('该学生已处于法律保留（封存）状态 / this student is already on legal hold', 'student');
  return [{ type: 'StudentPlacedOnLegalHold', data: { beneficiary: { key: data.student.key }, legalBasis: data.legalBasis, reference: data.reference } }];
}

/** Lifting a hold: only of a record on one. */
function liftLegalHold({ data }: LiftLegalHold, state: BeneficiaryState): BeneficiaryEvent[] {
  requireNotErased(state);
  if (!state.onHold) throw new StudentNotOnHold('该学生未处于法律保留（封存）状态 / this student is not on legal hold', 'student');
  return [{ type: 'StudentLegalHoldLifted', data: { beneficiary: { key: data.student.key }, reference: data.reference, reason: data.reason } }];
}

/**
 * A record on legal hold is stored and kept safe, nothing else: no approval, payment, reversal, loan
 * or repayment is recorded on it until the hold is lifted. Its erasure is not refused: see decide.
 */
function requireNotOnHold(state: BeneficiaryState): void {
  if (state.onHold) {
    throw new StudentOnLegalHold(
      '该学生的个人信息处于法律保留（封存）状态，除存储外不作其他处理，解除封存前不能记录 / this student is on legal hold (storage only): nothing is recorded on their record until the hold is lifted',
      'student',
    );
  }
}

function decide(command: BeneficiaryCommand, state: BeneficiaryState, context: BeneficiaryContext): BeneficiaryEvent[] {
  // Erasure is allowed on hold: the admin who erases decides the retention duty is over, which ends the hold's reason to exist (the erasure ends the hold).
  if (command.type === 'EraseStudentData') return eraseStudentData(command, state);
  if (command.type === 'PlaceLegalHold') return placeLegalHold(command, state);
  if (command.type === 'LiftLegalHold') return liftLegalHold(command, state);
  requireNotErased(state);
  requireNotOnHold(state);
  switch (command.type) {
    case 'ApproveAid':
      return approveAid(command, state, context);
    case 'RecordDisbursement':
      return recordDisbursement(command, state, context);
    case 'ReverseDisbursement':
      return reverseDisbursement(command, state, context);
    case 'RecordLoanDisbursement':
      return recordLoanDisbursement(command, state, context);
    case 'RecordLoanRepayment':
      return recordLoanRepayment(command, state, context);
    default: {
      const unreachable: never = command;
      throw new Error(`unknown command ${JSON.stringify(unreachable)}`);
    }
  }
}

export const beneficiaryDecider: Decider<BeneficiaryCommand, BeneficiaryEvent, BeneficiaryState, BeneficiaryContext> = {
  initialState,
  evolve,
  decide,
};


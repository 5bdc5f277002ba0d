import { LocalDate, Period, parseLocalDate, parsePeriod } from '../calendar';
import { PAYEE_TYPES } from '../catalog';
import { DomainError } from '../errors';
import { SchoolCode, parseSchoolCode } from '../identifiers';
import { Money } from '../money';
import { STAGES, Stage, isStage } from '../stages';
import { parseFreeText, parseOptionalFreeText } from '../text';
import { BudgetOverride, ERASURE_LEGAL_BASES, ErasureLegalBasis, LEGAL_HOLD_BASES, LegalHoldBasis, Payee, REVERSAL_REASON_CODES, ReversalReasonCode } from './beneficiary.events';
import { StudentIdentity, StudentIdentityInput, parseStudentIdentity } from './student';

/**
 * Commands to a beneficiary's record, imperative, with their values already checked; and the
 * parsers that make them from plain input (HTTP body, CLI, a row of an imported file), so every
 * entry point applies the same checks and reports the same field names.
 */

export interface AidLineCommand {
  student: StudentIdentity;
  schoolCode: SchoolCode;
  stage: Stage;
  programCode: string;
  period: Period;
  amount: Money;
}

export type ApproveAid = { type: 'ApproveAid'; data: AidLineCommand & { approvalId: string; approvedOn: LocalDate } };
export type RecordDisbursement = {
  type: 'RecordDisbursement';
  data: AidLineCommand & {
    disbursementId: string;
    payee: Payee;
    valueDate: LocalDate;
    approvalId?: string;
    fundingSource?: string;
    /** Record the payment even over the program's budget for the year, for this reason (used only if it is over). */
    budgetOverride?: BudgetOverride;
  };
};
export type ReverseDisbursement = {
  type: 'ReverseDisbursement';
  data: { student: StudentIdentity; disbursementId: string; reason: string; reasonCode: ReversalReasonCode; valueDate: LocalDate };
};
export type RecordLoanDisbursement = {
  type: 'RecordLoanDisbursement';
  data: AidLineCommand & { loanId: string; payee: Payee; valueDate: LocalDate };
};
export type RecordLoanRepayment = {
  type: 'RecordLoanRepayment';
  data: { student: StudentIdentity; repaymentId: string; loanId: string; amount: Money; valueDate: LocalDate };
};

/** Erase a student's personal data, on a legal basis, with the case's reference. */
export interface EraseStudentData {
  type: 'EraseStudentData';
  data: { student: StudentIdentity; legalBasis: ErasureLegalBasis; reference: string };
}

/** Put a student on legal hold (storage only), on a legal basis, with the case's reference. */
export interface PlaceLegalHold {
  type: 'PlaceLegalHold';
  data: { student: StudentIdentity; legalBasis: LegalHoldBasis; reference: string };
}

/** Lift a student's legal hold, with the case's reference and why. */
export interface LiftLegalHold {
  type: 'LiftLegalHold';
  data: { student: StudentIdentity; reference: string; reason: string };
}

export type BeneficiaryCommand =
  | EraseStudentData
  | PlaceLegalHold
  | LiftLegalHold
  | ApproveAid
  | RecordDisbursement
  | ReverseDisbursement
  | RecordLoanDisbursement
  | RecordLoanRepayment;

// ---------------------------------------------------------------------------------------------

class InvalidCommandField extends DomainError {
  constructor(field: string, message: string) {
    super('FIELD_INVALID', 'invalid', message, field);
  }
}

export interface AidLineInput {
  student?: StudentIdentityInput;
  schoolCode?: unknown;
  stage?: unknown;
  programCode?: unknown;
  period?: unknown;
  amount?: unknown;
}

export interface PayeeInput {
  type?: unknown;
  name?: unknown;
  account?: unknown;
}

/** The longest id a client may choose for a record (disbursement, loan, approval, repayment, allocation). */
export const RECORD_ID_MAX_LENGTH = 100;
const ID_PATTERN = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,${RECORD_ID_MAX_LENGTH - 1}}$`);

/** The longest payee name (a canteen, a school, a university). */
export const PAYEE_NAME_MAX_LENGTH = 200;
/** The longest bank card or fee account number. */
export const PAYEE_ACCOUNT_MAX_LENGTH = 64;
/** The longest funding source code. */
export const FUNDING_SOURCE_MAX_LENGTH = 64;
/** The longest reason: why a payment was reversed, why it was recorded over the budget. */
export const REASON_MAX_LENGTH = 1000;

/** A client-chosen id (disbursement, loan …): 1–100 letters, digits, `.`, `_`, `:`, `-`. */
export function parseRecordId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) {
    throw new InvalidCommandField(field, `${field} must be 1–${RECORD_ID_MAX_LENGTH} letters, digits, ".", "_", ":" or "-", starting with a letter or digit`);
  }
  return value;
}

const optionalEntry = <K extends string, V>(key: K, value: V | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, V>));

function parseStage(value: unknown, field = 'stage'): Stage {
  if (!isStage(value)) throw new InvalidCommandField(field, `${field} must be one of ${STAGES.join(', ')}`);
  return value;
}

export function parseProgramCode(value: unknown, field = 'programCode'): string {
  if (typeof value !== 'string' || !/^[A-Z][A-Z0-9_]{0,63}$/.test(value)) {
    throw new InvalidCommandField(field, `${field} must be a program code such as YULU_PLAN`);
  }
  return value;
}

export function parsePayee(input: PayeeInput | undefined, field = 'payee'): Payee {
  const type = input?.type;
  if (!PAYEE_TYPES.includes(type as Payee['type'])) {
    throw new InvalidCommandField(`${field}.type`, `${field}.type must be one of ${PAYEE_TYPES.join(', ')}`);
  }
  const name = parseOptionalFreeText(input?.name, `${field}.name`, { maxLength: PAYEE_NAME_MAX_LENGTH });
  const account = parseOptionalFreeText(input?.account, `${field}.account`, { maxLength: PAYEE_ACCOUNT_MAX_LENGTH });
  return { type: type as Payee['type'], ...(name && { name }), ...(account && { account }) };
}

function parseAidLine(input: AidLineInput): AidLineCommand {
  return {
    student: parseStudentIdentity(input.student),
    schoolCode: parseSchoolCode(input.schoolCode),
    stage: parseStage(input.stage),
    programCode: parseProgramCode(input.programCode),
    period: parsePeriod(input.period),
    amount: Money.parse(input.amount),
  };
}

export function parseApproveAid(input: AidLineInput & { approvalId?: unknown; approvedOn?: unknown }): ApproveAid {
  return {
    type: 'ApproveAid',
    data: {
      approvalId: parseRecordId(input.approvalId, 'approvalId'),
      ...parseAidLine(input),
      approvedOn: parseLocalDate(input.approvedOn, 'approvedOn'),
    },
  };
}

export function parseRecordDisbursement(
  input: AidLineInput & {
    disbursementId?: unknown;
    payee?: PayeeInput;
    valueDate?: unknown;
    approvalId?: unknown;
    fundingSource?: unknown;
    budgetOverride?: { reason?: unknown };
  },
): RecordDisbursement {
  return {
    type: 'RecordDisbursement',
    data: {
      disbursementId: parseRecordId(input.disbursementId, 'disbursementId'),
      ...parseAidLine(input),
      payee: parsePayee(input.payee),
      valueDate: parseLocalDate(input.valueDate, 'valueDate'),
      ...(input.approvalId != null && { approvalId: parseRecordId(input.approvalId, 'approvalId') }),
      ...optionalEntry('fundingSource', parseOptionalFreeText(input.fundingSource, 'fundingSource', { maxLength: FUNDING_SOURCE_MAX_LENGTH })),
      ...(input.budgetOverride != null && {
        budgetOverride: { reason: parseFreeText(input.budgetOverride.reason, 'budgetOverride.reason', { maxLength: REASON_MAX_LENGTH, multiline: true }) },
      }),
    },
  };
}

export function parseReverseDisbursement(input: {
  student?: StudentIdentityInput;
  disbursementId?: unknown;
  reason?: unknown;
  reasonCode?: unknown;
  valueDate?: unknown;
}): ReverseDisbursement {
  return {
    type: 'ReverseDisbursement',
    data: {
      student: parseStudentIdentity(input.student),
      disbursementId: parseRecordId(input.disbursementId, 'disbursementId'),
      reason: parseFreeText(input.reason, 'reason', { maxLength: REASON_MAX_LENGTH, multiline: true }),
      reasonCode: parseReversalReasonCode(input.reasonCode),
      valueDate: parseLocalDate(input.valueDate, 'valueDate'),
    },
  };
}

export function parseRecordLoanDisbursement(
  input: AidLineInput & { loanId?: unknown; payee?: PayeeInput; valueDate?: unknown; schoolYear?: unknown },
): RecordLoanDisbursement {
  return {
    type: 'RecordLoanDisbursement',
    data: {
      loanId: parseRecordId(input.loanId, 'loanId'),
      ...parseAidLine({ ...input, period: input.period ?? input.schoolYear }),
      payee: parsePayee(input.payee),
      valueDate: parseLocalDate(input.valueDate, 'valueDate'),
    },
  };
}

export function parseRecordLoanRepayment(input: {
  student?: StudentIdentityInput;
  repaymentId?: unknown;
  loanId?: unknown;
  amount?: unknown;
  valueDate?: unknown;
}): RecordLoanRepayment {
  return {
    type: 'RecordLoanRepayment',
    data: {
      student: parseStudentIdentity(input.student),
      repaymentId: parseRecordId(input.repaymentId, 'repaymentId'),
      loanId: parseRecordId(input.loanId, 'loanId'),
      amount: Money.parse(input.amount),
      valueDate: parseLocalDate(input.valueDate, 'valueDate'),
    },
  };
}

/** The longest case reference of an erasure (a file or ticket number). */
export const ERASURE_REFERENCE_MAX_LENGTH = 200;

export function parseEraseStudentData(input: { student?: StudentIdentityInput; legalBasis?: unknown; reference?: unknown }): EraseStudentData {
  return {
    type: 'EraseStudentData',
    data: {
      student: parseStudentIdentity(input.student),
      legalBasis: parseOneOf<ErasureLegalBasis>(input.legalBasis, ERASURE_LEGAL_BASES, 'legalBasis'),
      reference: parseCaseReference(input.reference, ERASURE_REFERENCE_MAX_LENGTH),
    },
  };
}

/** One of the values a field takes, or refused naming them all. */
function parseOneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new InvalidCommandField(field, `${field} must be one of ${allowed.join(', ')}`);
}

/** A case's file or ticket number, kept in clear for good: no personal data in it. */
const parseCaseReference = (value: unknown, maxLength: number) => parseFreeText(value, 'reference', { maxLength, noPersonalData: true });

/** The longest case reference of a legal hold (a file or ticket number). */
export const LEGAL_HOLD_REFERENCE_MAX_LENGTH = 200;
/** The longest reason a legal hold is lifted for. */
export const LEGAL_HOLD_REASON_MAX_LENGTH = 1000;

export function parsePlaceLegalHold(input: { student?: StudentIdentityInput; legalBasis?: unknown; reference?: unknown }): PlaceLegalHold {
  return {
    type: 'PlaceLegalHold',
    data: {
      student: parseStudentIdentity(input.student),
      legalBasis: parseOneOf<LegalHoldBasis>(input.legalBasis, LEGAL_HOLD_BASES, 'legalBasis'),
      reference: parseCaseReference(input.reference, LEGAL_HOLD_REFERENCE_MAX_LENGTH),
    },
  };
}

export function parseLiftLegalHold(input: { student?: StudentIdentityInput; reference?: unknown; reason?: unknown }): LiftLegalHold {
  return {
    type: 'LiftLegalHold',
    data: {
      student: parseStudentIdentity(input.student),
      reference: parseCaseReference(input.reference, LEGAL_HOLD_REFERENCE_MAX_LENGTH),
      reason: parseFreeText(input.reason, 'reason', { maxLength: LEGAL_HOLD_REASON_MAX_LENGTH, multiline: true }),
    },
  };
}

function parseReversalReasonCode(value: unknown): ReversalReasonCode {
  return value == null ? 'UNSPECIFIED' : parseOneOf(value, REVERSAL_REASON_CODES, 'reasonCode');
}

import { PayeeType } from '../catalog';
import { Stage } from '../stages';

/**
 * The facts recorded about a beneficiary, past tense, as stored (amounts are yuan strings with
 * two decimals, dates `YYYY-MM-DD`). Who recorded them, when and why travels in event metadata.
 * Changing a shape means a new schema version and an upcaster; stored events are never rewritten.
 */
export interface BeneficiaryRef {
  key: string;
  residentId?: string;
  studentNumber?: string;
  name?: string;
}

export interface Payee {
  type: PayeeType;
  /** Name of the canteen, school or university when it is not the student. */
  name?: string;
  /** Bank card or fee account, when known. Personal data. */
  account?: string;
}

/** Where and for what a payment was made: the dimensions every total is cut by. */
export interface AidLine {
  beneficiary: BeneficiaryRef;
  schoolCode: string;
  stage: Stage;
  programCode: string;
  /** `2022-autumn`, `2023-spring` or `2022-2023`, by the program's period basis. */
  period: string;
  amount: string;
}

export type AidApproved = {
  type: 'AidApproved';
  data: AidLine & { approvalId: string; approvedOn: string };
};

export type DisbursementRecorded = {
  type: 'DisbursementRecorded';
  data: AidLine & {
    disbursementId: string;
    payee: Payee;
    /** The day the money moved; fixes the fiscal year. */
    valueDate: string;
    approvalId?: string;
    fundingSource?: string;
    /**
     * Present only on a payment recorded over its program's budget for the fiscal year: why it was
     * recorded anyway (who did it is the event's actor). Optional, added without a schema version:
     * payments before it simply have none, which is what they were.
     */
    budgetOverride?: BudgetOverride;
  };
};

export interface BudgetOverride {
  reason: string;
}

/** Why a payment was reversed, as a category auditors can count (the free text says the rest). */
export const REVERSAL_REASON_CODES = ['WRONG_ACCOUNT', 'NOT_ELIGIBLE', 'DUPLICATE_PAYMENT', 'WRONG_AMOUNT', 'RETURNED_BY_BANK', 'OTHER'] as const;
/** `UNSPECIFIED`: the reversal did not say (every reversal recorded before codes existed, schema version 1). */
export type ReversalReasonCode = (typeof REVERSAL_REASON_CODES)[number] | 'UNSPECIFIED';

export type DisbursementReversed = {
  type: 'DisbursementReversed';
  /** Repeats the reversed payment's line so that readers need not look it up. */
  data: AidLine & {
    disbursementId: string;
    /** Value date of the payment being reversed: the reversal nets against that fiscal year. */
    originalValueDate: string;
    reason: string;
    reasonCode: ReversalReasonCode;
    valueDate: string;
  };
};

export type LoanDisbursed = {
  type: 'LoanDisbursed';
  data: AidLine & { loanId: string; payee: Payee; valueDate: string };
};

export type LoanRepaymentRecorded = {
  type: 'LoanRepaymentRecorded';
  data: {
    repaymentId: string;
    loanId: string;
    beneficiary: BeneficiaryRef;
    programCode: string;
    amount: string;
    valueDate: string;
  };
};

/**
 * An identifier of a student now leads to the student's record: the first request that named it
 * beside an identifier the ledger already knew (or beside another new one) said they are one child.
 * Stored in the identifier's own stream (`beneficiary-<that identifier>`), which from then on holds
 * only this event and points to the record; never undone.
 */
export type StudentIdentifierLinked = {
  type: 'StudentIdentifierLinked';
  data: {
    /** The identifier linked: exactly one of the two. */
    identifier: { residentId: string } | { studentNumber: string };
    /** The record it leads to (`key`) and the identifiers the linking request named. */
    beneficiary: BeneficiaryRef;
  };
};

/**
 * Why a student's personal data may be erased (PIPL Art. 47): the purpose is met, the retention period
 * has ended, consent was withdrawn, the processing was unlawful, or another legal ground.
 */
export const ERASURE_LEGAL_BASES = ['PURPOSE_ACHIEVED', 'RETENTION_ENDED', 'CONSENT_WITHDRAWN', 'UNLAWFUL_PROCESSING', 'OTHER_LEGAL_GROUND'] as const;
export type ErasureLegalBasis = (typeof ERASURE_LEGAL_BASES)[number];

/**
 * The student's personal data was erased: their data key destroyed, so every sealed field of their
 * events (identifiers, name, account, reasons) can no longer be opened. Holds no personal data
 * itself — the record's opaque key, the legal basis and the case reference (a file number, not a
 * name). Amounts, programs and periods stay: totals and proofs are unchanged.
 */
export type StudentDataErased = {
  type: 'StudentDataErased';
  data: { beneficiary: { key: string }; legalBasis: ErasureLegalBasis; reference: string };
};

/**
 * Why a student's personal data is kept though its purpose is met (PIPL Art. 47, second paragraph): a
 * law or regulation still requires it to be kept (accounting archives: 30 years), deleting it is
 * technically infeasible, a court, audit or investigation needs it kept, or another legal ground.
 */
export const LEGAL_HOLD_BASES = ['STATUTORY_RETENTION', 'DELETION_TECHNICALLY_INFEASIBLE', 'LITIGATION_OR_INVESTIGATION', 'OTHER_LEGAL_GROUND'] as const;
export type LegalHoldBasis = (typeof LEGAL_HOLD_BASES)[number];

/**
 * The student is on legal hold (storage only): from now on nothing more is recorded on their record,
 * and their personal fields are read by auditors alone, each read recorded with its purpose. Holds
 * no personal data — the record's key, the legal basis and the case reference.
 */
export type StudentPlacedOnLegalHold = {
  type: 'StudentPlacedOnLegalHold';
  data: { beneficiary: { key: string }; legalBasis: LegalHoldBasis; reference: string };
};

/** The student's legal hold was lifted: their record is processed again as any other. */
export type StudentLegalHoldLifted = {
  type: 'StudentLegalHoldLifted';
  data: { beneficiary: { key: string }; reference: string; reason: string };
};

export type BeneficiaryEvent =
  | StudentDataErased
  | StudentPlacedOnLegalHold
  | StudentLegalHoldLifted
  | AidApproved
  | DisbursementRecorded
  | DisbursementReversed
  | LoanDisbursed
  | LoanRepaymentRecorded
  | StudentIdentifierLinked;

export type BeneficiaryEventType = BeneficiaryEvent['type'];

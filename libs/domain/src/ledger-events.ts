import { BeneficiaryEvent } from './beneficiary/beneficiary.events';
import { BudgetEvent } from './budget/budget';

/** Every event the ledger records, and the schema version each type is written with today. */
export type LedgerEvent = BeneficiaryEvent | BudgetEvent;
export type LedgerEventType = LedgerEvent['type'];

export const EVENT_SCHEMA_VERSIONS: Readonly<Record<LedgerEventType, number>> = {
  AidApproved: 1,
  DisbursementRecorded: 1,
  DisbursementReversed: 1,
  LoanDisbursed: 1,
  LoanRepaymentRecorded: 1,
  BudgetAllocated: 1,
};

export const isLedgerEventType = (type: string): type is LedgerEventType => Object.hasOwn(EVENT_SCHEMA_VERSIONS, type);

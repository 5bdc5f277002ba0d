import { AccessEvent } from './access/access';
import { BeneficiaryEvent } from './beneficiary/beneficiary.events';
import { BudgetEvent } from './budget/budget';

/** Events about aid: what the read models total. */
export type AidEvent = BeneficiaryEvent | BudgetEvent;
/** Every event the ledger records, and the schema version each type is written with today. */
export type LedgerEvent = AidEvent | AccessEvent;
export type LedgerEventType = LedgerEvent['type'];

export const EVENT_SCHEMA_VERSIONS: Readonly<Record<LedgerEventType, number>> = {
  AidApproved: 1,
  DisbursementRecorded: 1,
  DisbursementReversed: 1,
  LoanDisbursed: 1,
  LoanRepaymentRecorded: 1,
  BudgetAllocated: 1,
  UserAdded: 1,
  UserRoleChanged: 1,
  UserDisabled: 1,
  TokenIssued: 1,
  TokenRevoked: 1,
};

const AID_EVENT_TYPES: ReadonlySet<string> = new Set<AidEvent['type']>([
  'AidApproved',
  'DisbursementRecorded',
  'DisbursementReversed',
  'LoanDisbursed',
  'LoanRepaymentRecorded',
  'BudgetAllocated',
]);

export const isAidEventType = (type: string): type is AidEvent['type'] => AID_EVENT_TYPES.has(type);

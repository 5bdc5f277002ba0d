import { AccessEvent } from './access/access';
import { BeneficiaryEvent } from './beneficiary/beneficiary.events';
import { BudgetEvent } from './budget/budget';
import { DisclosureEvent } from './disclosure/personal-data-disclosure';

/** Events about aid: what the read models total. */
export type AidEvent = BeneficiaryEvent | BudgetEvent;
/** Every event the ledger records (their schema versions and upcasters: `event-versions.ts`). */
export type LedgerEvent = AidEvent | AccessEvent | DisclosureEvent;
export type LedgerEventType = LedgerEvent['type'];

const AID_EVENT_TYPES: ReadonlySet<string> = new Set<AidEvent['type']>([
  'AidApproved',
  'DisbursementRecorded',
  'DisbursementReversed',
  'LoanDisbursed',
  'LoanRepaymentRecorded',
  'StudentIdentifierLinked',
  'StudentDataErased',
  'StudentPlacedOnLegalHold',
  'StudentLegalHoldLifted',
  'BudgetAllocated',
]);

export const isAidEventType = (type: string): type is AidEvent['type'] => AID_EVENT_TYPES.has(type);

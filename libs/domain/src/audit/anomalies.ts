/**
 * What auditors look for that the ledger can see (docs/domain.md#what-auditors-check). The write path refuses all of
 * these, but history imported from elsewhere, or a rule that changed, can still hold them; the
 * anomaly report finds them and names the events behind each one.
 */
export const ANOMALY_KINDS = {
  DUPLICATE_PAYMENT: 'the same student paid twice for one program and period',
  EXCLUSIVE_PROGRAMS_PAID_TOGETHER: 'mutually exclusive programs paid to one student for one period',
  AMOUNT_OFF_STANDARD: "an amount that is not the program's fixed amount or one of its tiers",
  AMOUNT_OVER_CAP: "an amount over the program's cap",
  STAGE_NOT_ELIGIBLE: "a payment to a stage the program is not for",
  PROGRAM_NOT_IN_CATALOG: 'a payment of a program the catalog does not have, or not open then',
  OVER_BUDGET: 'more paid than the budget allocated to the program for the fiscal year',
  REVERSAL_OF_REVERSED: 'a payment reversed more than once, or a reversal of no payment',
  LOAN_OVER_YEARLY_CAP: 'loans to one student above the yearly cap for the level',
} as const;

export type AnomalyKind = keyof typeof ANOMALY_KINDS;

export interface Anomaly {
  kind: AnomalyKind;
  detail: string;
  programCode: string;
  beneficiaryKey?: string;
  period?: string;
  fiscalYear?: number;
  /** Positions of the events behind the anomaly, in log order. */
  positions: string[];
}

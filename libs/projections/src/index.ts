export * from './projection';
export * from './read-models';
export * from './program-totals.projection';
export * from './beneficiary-history.projection';
export * from './log-leaves.projection';
export * from './personal-data-disclosures.projection';
export * from './legal-holds.projection';
export * from './retention.projection';
export * from './queries';

import { beneficiaryHistoryProjection } from './beneficiary-history.projection';
import { logLeavesProjection } from './log-leaves.projection';
import { programTotalsProjection } from './program-totals.projection';
import { personalDataDisclosuresProjection } from './personal-data-disclosures.projection';
import { legalHoldsProjection } from './legal-holds.projection';
import { retentionProjection } from './retention.projection';

/** Every read model the service keeps. */
export const ALL_PROJECTIONS = [programTotalsProjection, beneficiaryHistoryProjection, logLeavesProjection, personalDataDisclosuresProjection, legalHoldsProjection, retentionProjection] as const;
export * from './replay';
export * from './anomalies.projection';
export * from './report-figures';

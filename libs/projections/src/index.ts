export * from './projection';
export * from './read-models';
export * from './program-totals.projection';
export * from './beneficiary-history.projection';
export * from './log-leaves.projection';
export * from './queries';

import { beneficiaryHistoryProjection } from './beneficiary-history.projection';
import { logLeavesProjection } from './log-leaves.projection';
import { programTotalsProjection } from './program-totals.projection';

/** Every read model the service keeps. */
export const ALL_PROJECTIONS = [programTotalsProjection, beneficiaryHistoryProjection, logLeavesProjection] as const;
export * from './replay';
export * from './anomalies.projection';
export * from './report-figures';

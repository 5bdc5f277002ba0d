import { Role } from '@ledger/domain';

/**
 * Who may call what: the one table the access guard reads. A route missing here is refused to
 * everyone (and a test fails), so a new route must be placed in the matrix on purpose.
 *
 * - finance_officer: records, approves, reverses, lends, allocates budget; reads what that needs.
 * - auditor: reads everything, personal data included; writes nothing.
 * - bureau_staff: reads totals, budgets and the catalog; personal data reaches it masked.
 * - admin: manages users and tokens; records and reads no aid.
 */
export const PUBLIC = 'public' as const;

export const ROUTE_ROLES: Readonly<Record<string, readonly Role[] | typeof PUBLIC>> = {
  'GET /health': PUBLIC,
  'GET /health/ready': PUBLIC,
  // Counts and timings only, nothing personal: open to the monitoring system like the health checks.
  'GET /metrics': PUBLIC,

  'POST /approvals': ['finance_officer'],
  'POST /disbursements': ['finance_officer'],
  'POST /disbursements/:disbursementId/reversal': ['finance_officer'],
  'POST /loans': ['finance_officer'],
  'POST /loans/:loanId/repayments': ['finance_officer'],
  'POST /budgets/allocations': ['finance_officer'],
  'POST /imports': ['finance_officer'],

  'GET /disbursements/:disbursementId': ['finance_officer', 'auditor', 'bureau_staff'],
  'GET /beneficiaries/:studentKey/history': ['finance_officer', 'auditor', 'bureau_staff'],
  'GET /totals': ['finance_officer', 'auditor', 'bureau_staff'],
  'GET /budgets': ['finance_officer', 'auditor', 'bureau_staff'],
  'GET /programs': ['finance_officer', 'auditor', 'bureau_staff'],
  'GET /programs/:code': ['finance_officer', 'auditor', 'bureau_staff'],

  'GET /audit/public-key': ['auditor', 'finance_officer', 'bureau_staff', 'admin'],
  'GET /audit/digests': ['auditor', 'admin'],
  'POST /audit/digests': ['admin'],
  'GET /audit/proofs/inclusion': ['auditor'],
  'GET /audit/proofs/consistency': ['auditor'],
  'GET /audit/verify': ['auditor'],
  'GET /audit/anomalies': ['auditor'],
  'GET /audit/export': ['auditor'],

  'GET /reports': ['finance_officer', 'auditor', 'bureau_staff'],
  'GET /reports/:id/reconciliation': ['finance_officer', 'auditor', 'bureau_staff'],

  'GET /me': ['finance_officer', 'auditor', 'bureau_staff', 'admin'],
  'GET /users': ['admin', 'auditor'],
  'POST /users': ['admin'],
  'POST /users/:userId/role': ['admin'],
  'POST /users/:userId/tokens': ['admin'],
  'POST /tokens/:tokenId/revocation': ['admin'],
};

/** Roles that see personal data (ID and student numbers, names, bank accounts) unmasked. */
export const SEES_PERSONAL_DATA: Readonly<Record<Role, boolean>> = {
  finance_officer: true,
  auditor: true,
  bureau_staff: false,
  admin: false,
};

export const routeKey = (method: string, path: string) => `${method.toUpperCase()} ${path}`;

import { ROLES_FOR_WORK, Role } from '@ledger/domain';

/**
 * Who may call what: the one table the access guard reads. A route missing here is refused to
 * everyone (and a test fails), so a new route must be placed in the matrix on purpose. The writes
 * take their roles from the domain's `ROLES_FOR_WORK`, which the CLI reads too.
 *
 * - finance_officer: records, approves, reverses, lends, allocates budget; reads what that needs.
 * - auditor: reads everything, personal data included; records nothing but asks for a signed digest.
 * - bureau_staff: reads totals, budgets, the catalog, reports and a payment by its id, personal data
 *   masked; looks up no student (not even whether one has a record).
 * - admin: manages users and tokens; records and reads no aid.
 */
export const PUBLIC = 'public' as const;

export const ROUTE_ROLES: Readonly<Record<string, readonly Role[] | typeof PUBLIC>> = {
  'GET /health': PUBLIC,
  'GET /health/ready': PUBLIC,
  // Counts and timings only, nothing personal: open to the monitoring system like the health checks.
  'GET /metrics': PUBLIC,

  'POST /approvals': ROLES_FOR_WORK.record_aid,
  'POST /disbursements': ROLES_FOR_WORK.record_aid,
  'POST /disbursements/:disbursementId/reversal': ROLES_FOR_WORK.record_aid,
  'POST /loans': ROLES_FOR_WORK.record_aid,
  'POST /loans/:loanId/repayments': ROLES_FOR_WORK.record_aid,
  'POST /budgets/allocations': ROLES_FOR_WORK.record_aid,
  'POST /imports': ROLES_FOR_WORK.record_aid,
  'POST /students/:studentKey/erasure': ROLES_FOR_WORK.erase_personal_data,
  'POST /students/:studentKey/legal-hold': ROLES_FOR_WORK.hold_personal_data,
  'POST /students/:studentKey/legal-hold/lift': ROLES_FOR_WORK.hold_personal_data,

  // A payment by its id (a record id, not a person's), its personal data masked for bureau staff.
  'GET /disbursements/:disbursementId': ['finance_officer', 'auditor', 'bureau_staff'],
  // Not bureau staff: whether a resident ID has a record at all (is an aid recipient) is personal data.
  'GET /beneficiaries/:studentKey/history': ['finance_officer', 'auditor'],
  'GET /totals': ['finance_officer', 'auditor', 'bureau_staff'],
  'GET /budgets': ['finance_officer', 'auditor', 'bureau_staff'],
  'GET /programs': ['finance_officer', 'auditor', 'bureau_staff'],
  'GET /programs/:code': ['finance_officer', 'auditor', 'bureau_staff'],

  'GET /audit/public-key': ['auditor', 'finance_officer', 'bureau_staff', 'admin'],
  'GET /audit/digests': ['auditor', 'admin'],
  'POST /audit/digests': ROLES_FOR_WORK.request_digest,
  'GET /audit/proofs/inclusion': ['auditor'],
  'GET /audit/proofs/consistency': ['auditor'],
  'GET /audit/verify': ['auditor'],
  'GET /audit/anomalies': ['auditor'],
  'GET /audit/export': ['auditor'],
  // The record of processing (who had personal data disclosed, when, how): it holds no student's data.
  'GET /audit/personal-data-access': ['auditor', 'admin'],
  // Retention: who is due for erasure (by opaque key, masked for the admin, who erases them with the CLI), and how many.
  'GET /personal-data/retention-due': ['auditor', 'admin'],
  'GET /personal-data/retention-due/count': ['auditor', 'admin'],

  'GET /reports': ['finance_officer', 'auditor', 'bureau_staff'],
  'GET /reports/:id/reconciliation': ['finance_officer', 'auditor', 'bureau_staff'],

  'GET /me': ['finance_officer', 'auditor', 'bureau_staff', 'admin'],
  'GET /users': ['admin', 'auditor'],
  'POST /users': ROLES_FOR_WORK.manage_access,
  'POST /users/:userId/role': ROLES_FOR_WORK.manage_access,
  'POST /users/:userId/tokens': ROLES_FOR_WORK.manage_access,
  'POST /tokens/:tokenId/revocation': ROLES_FOR_WORK.manage_access,
};

/** Roles that see personal data (ID and student numbers, names, bank accounts) unmasked. */
export const SEES_PERSONAL_DATA: Readonly<Record<Role, boolean>> = {
  finance_officer: true,
  auditor: true,
  bureau_staff: false,
  admin: false,
};

/**
 * The routes whose answers hold personal data, as the route → role table names them. An answer of one of
 * them sent unmasked (to a role that sees personal data) is a disclosure, recorded before it is sent
 * (edge/reply-writer.ts); masked answers are not. A route added here costs a record per answer;
 * one missing here discloses unrecorded, so a route that answers a student's data must be placed here.
 */
export const ANSWERS_PERSONAL_DATA: ReadonlySet<string> = new Set([
  'GET /disbursements/:disbursementId',
  'GET /beneficiaries/:studentKey/history',
  'GET /audit/anomalies',
  'GET /audit/export',
]);
// Not GET /personal-data/retention-due: it answers records' opaque keys, programs and dates — no identifier
// and nothing sealed; a key names a record, not a student (the record of processing keeps one whole in a path).
// The admin, who sees personal data masked, gets the keys masked all the same.
// Not POST /imports: its report quotes back the caller's own upload (the rows of their file, by row
// number and payment id), and what the import records is in the log with its actor already; a dry
// run records nothing, not even a disclosure.

export const routeKey = (method: string, path: string) => `${method.toUpperCase()} ${path}`;

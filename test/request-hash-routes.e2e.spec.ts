import { EVENT_STORE, PERSONAL_DATA_VAULT, PersonalDataVault, hashRequest } from '@ledger/application';
import { EventStore, StoredEvent } from '@ledger/event-store';
import { ROUTE_ROLES } from '../apps/ledger-api/src/access/route-permissions';
import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment, residentId } from './support/students';

/**
 * The request hash an event keeps (to refuse an Idempotency-Key reused for another request) is made
 * of the method, the route TEMPLATE and the body. A retry after an upgrade must still match what the
 * first request stored, so the route strings the HTTP framework hands the hash are pinned here, as
 * literals, for every write route that records events with its request's hash.
 */
const PINNED_TEMPLATES: Record<string, string> = {
  'POST /approvals': '/approvals',
  'POST /disbursements': '/disbursements',
  'POST /disbursements/:disbursementId/reversal': '/disbursements/:disbursementId/reversal',
  'POST /loans': '/loans',
  'POST /loans/:loanId/repayments': '/loans/:loanId/repayments',
  'POST /budgets/allocations': '/budgets/allocations',
  'POST /users': '/users',
  'POST /users/:userId/role': '/users/:userId/role',
  'POST /users/:userId/tokens': '/users/:userId/tokens',
  'POST /tokens/:tokenId/revocation': '/tokens/:tokenId/revocation',
  'POST /students/:studentKey/erasure': '/students/:studentKey/erasure',
  'POST /students/:studentKey/legal-hold': '/students/:studentKey/legal-hold',
  'POST /students/:studentKey/legal-hold/lift': '/students/:studentKey/legal-hold/lift',
};

/**
 * Writes whose events keep no request hash: a digest is signed by the system for whoever asked, and
 * an import's rows are made idempotent by the list's own hash (its import batch), not the request's.
 */
const WITHOUT_REQUEST_HASH = ['POST /audit/digests', 'POST /imports'];

describe('request hashes: the route strings of every idempotent write route', () => {
  let ledger: LedgerUnderTest;
  beforeAll(async () => {
    ledger = await LedgerUnderTest.start({ LEDGER_RATE_LIMIT: '0' });
  });
  afterAll(async () => {
    await ledger.stop();
  });

  const eventsOf = async (requestId: string): Promise<StoredEvent[]> =>
    (await ledger.app.get<EventStore>(EVENT_STORE).readAll({ maxCount: 100_000 })).filter((event) => event.metadata.causationId === requestId);

  it('pins a template for every write route of the role matrix', () => {
    const writes = Object.keys(ROUTE_ROLES).filter((key) => key.startsWith('POST') && !WITHOUT_REQUEST_HASH.includes(key));
    expect(Object.keys(PINNED_TEMPLATES).sort()).toEqual(writes.sort());
  });

  it('stores hash(method, pinned template, {params, body}) for each of them', async () => {
    const loan = { ...boardingPayment(2), loanId: 'hash-loan', stage: 'undergraduate', schoolCode: '4165010694', programCode: 'ORIGIN_CREDIT_LOAN', period: '2022-2023', amount: '100.00', payee: { type: 'university_fee_account' } };
    const approval = { ...boardingPayment(3), payee: undefined, valueDate: undefined, approvedOn: '2022-09-01' };
    delete approval.payee;
    delete approval.valueDate;
    const calls: Array<{ key: string; role: 'finance_officer' | 'admin'; path: string; params: Record<string, string>; body: Record<string, unknown> }> = [
      { key: 'POST /disbursements', role: 'finance_officer', path: '/disbursements', params: {}, body: boardingPayment(1, { disbursementId: 'hash-paid' }) },
      { key: 'POST /approvals', role: 'finance_officer', path: '/approvals', params: {}, body: approval },
      { key: 'POST /disbursements/:disbursementId/reversal', role: 'finance_officer', path: '/disbursements/hash-paid/reversal', params: { disbursementId: 'hash-paid' }, body: { reason: 'hash', valueDate: '2022-11-01' } },
      { key: 'POST /loans', role: 'finance_officer', path: '/loans', params: {}, body: loan },
      { key: 'POST /loans/:loanId/repayments', role: 'finance_officer', path: '/loans/hash-loan/repayments', params: { loanId: 'hash-loan' }, body: { amount: '1.00', valueDate: '2025-12-20' } },
      { key: 'POST /budgets/allocations', role: 'finance_officer', path: '/budgets/allocations', params: {}, body: { programCode: 'YULU_PLAN', fiscalYear: 2022, fundingSource: 'RURAL_REVITALISATION', amount: '1.00', valueDate: '2022-03-01' } },
      { key: 'POST /users', role: 'admin', path: '/users', params: {}, body: { userId: 'hash-clerk', displayName: 'Hash clerk', role: 'bureau_staff' } },
      { key: 'POST /users/:userId/role', role: 'admin', path: '/users/hash-clerk/role', params: { userId: 'hash-clerk' }, body: { role: 'auditor' } },
      { key: 'POST /users/:userId/tokens', role: 'admin', path: '/users/hash-clerk/tokens', params: { userId: 'hash-clerk' }, body: { label: 'desk' } },
      { key: 'POST /students/:studentKey/legal-hold', role: 'admin', path: `/students/${residentId(1)}/legal-hold`, params: { studentKey: residentId(1) }, body: { legalBasis: 'STATUTORY_RETENTION', reference: 'hash' } },
      { key: 'POST /students/:studentKey/legal-hold/lift', role: 'admin', path: `/students/${residentId(1)}/legal-hold/lift`, params: { studentKey: residentId(1) }, body: { reference: 'hash', reason: 'hash' } },
      // Last of the student's writes: nothing more is recorded on an erased record.
      { key: 'POST /students/:studentKey/erasure', role: 'admin', path: `/students/${residentId(1)}/erasure`, params: { studentKey: residentId(1) }, body: { legalBasis: 'PURPOSE_ACHIEVED', reference: 'hash' } },
    ];
    const keyed = (hash: string) => ledger.app.get<PersonalDataVault>(PERSONAL_DATA_VAULT).keys.keyedRequestHash(hash);
    const stored: Record<string, string[]> = {};
    const expected: Record<string, string[]> = {};
    let tokenId = '';
    for (const call of calls) {
      const requestId = `hash-${calls.indexOf(call)}`;
      const response = await ledger.as(call.role).post(call.path).set('X-Request-Id', requestId).set('Idempotency-Key', requestId).send(call.body);
      expect({ key: call.key, ok: response.status < 300 }).toEqual({ key: call.key, ok: true });
      if (call.key === 'POST /users/:userId/tokens') tokenId = response.body.tokenId;
      const events = await eventsOf(requestId);
      stored[call.key] = [...new Set(events.map((event) => String(event.metadata.requestHash)))];
      // Kept keyed with the key store's index key: the plain hash of a body naming a student could be brute-forced back to the ID.
      const plain = hashRequest('POST', PINNED_TEMPLATES[call.key], { params: call.params, body: call.body });
      expect(stored[call.key]).not.toContain(plain);
      expected[call.key] = [keyed(plain)];
    }
    const revoke = await ledger.as('admin').post(`/tokens/${tokenId}/revocation`).set('X-Request-Id', 'hash-revoke').set('Idempotency-Key', 'hash-revoke').send({ reason: 'hash' }).expect(200);
    expect(revoke.body.revoked).toBe(true);
    stored['POST /tokens/:tokenId/revocation'] = [...new Set((await eventsOf('hash-revoke')).map((event) => String(event.metadata.requestHash)))];
    expected['POST /tokens/:tokenId/revocation'] = [keyed(hashRequest('POST', PINNED_TEMPLATES['POST /tokens/:tokenId/revocation'], { params: { tokenId }, body: { reason: 'hash' } }))];
    expect(stored).toEqual(expected);
  });
});

import { ANSWERS_PERSONAL_DATA } from '../apps/ledger-api/src/access/route-permissions';
import { LedgerUnderTest } from './support/ledger-app';

/** The API document (/docs-json) says of each operation what it takes. */
describe('the API document', () => {
  let ledger: LedgerUnderTest;
  let paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }> }>>;
  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
    paths = (await ledger.as('anonymous').get('/docs-json').expect(200)).body.paths;
  });
  afterAll(async () => {
    await ledger.stop();
  });

  const headersOf = (path: string, method: string) => (paths[path][method].parameters ?? []).filter((parameter) => parameter.in === 'header').map((parameter) => parameter.name);

  it('lists the Idempotency-Key header on the writes of recorded aid, and on no read', () => {
    const operations = Object.entries(paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ path, method, headers: headersOf(path, method) })));
    const withKey = operations.filter((operation) => operation.headers.includes('Idempotency-Key')).map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(withKey.sort()).toEqual(
      ['POST /approvals', 'POST /budgets/allocations', 'POST /disbursements', 'POST /disbursements/{disbursementId}/reversal', 'POST /loans', 'POST /loans/{loanId}/repayments'].sort(),
    );
    expect(headersOf('/disbursements/{disbursementId}', 'get')).toEqual(['X-Purpose']);
  });

  it('lists X-Purpose on the routes whose unmasked answers are recorded as disclosures, and on no other', () => {
    const operations = Object.entries(paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ path, method, headers: headersOf(path, method) })));
    const withPurpose = operations.filter((operation) => operation.headers.includes('X-Purpose')).map(({ method, path }) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
    expect(withPurpose.sort()).toEqual([...ANSWERS_PERSONAL_DATA].sort());
  });
});

import { LedgerUnderTest, sqliteConnectionOf } from '../support/ledger-app';
import { boardingPayment } from '../support/students';

/**
 * The data directory fills up (simulated with SQLite's page limit, which fails writes exactly as a
 * full disk does: SQLITE_FULL): writes answer 503 with a clear message and nothing partial is
 * written; reads go on; when space returns, writes do too.
 */
describe('a full data directory', () => {
  it('answers 503 without a partial write, and recovers', async () => {
    const ledger = await LedgerUnderTest.start();
    await ledger.http.post('/disbursements').send(boardingPayment(1)).expect(201);
    const before = await ledger.logPosition();
    // Reach the store's own connection (a test of a fault, not an API).
    const sqlite = sqliteConnectionOf(ledger.app);
    const pages = sqlite.pragma('page_count', { simple: true }) as number;
    sqlite.pragma(`max_page_count = ${pages}`);

    // Writes go on while the last pages have room; then the first refusal.
    let i = 2;
    let first;
    for (; i < 5000; i++) {
      const response = await ledger.http.post('/disbursements').send(boardingPayment(i, { disbursementId: `full-${i}` }));
      if (response.status !== 201) {
        first = response;
        break;
      }
    }
    expect(first?.status).toBe(503);
    expect(first!.body).toMatchObject({ code: 'STORE_UNAVAILABLE', detail: expect.stringMatching(/could not be written.*full/) });
    await ledger.http.get(`/disbursements/full-${i}`).expect(404);
    const atRefusal = await ledger.logPosition();
    expect(BigInt(atRefusal)).toBeGreaterThanOrEqual(BigInt(before));
    const refused = [];
    for (let j = i; j < i + 20; j++) refused.push((await ledger.http.post('/disbursements').send(boardingPayment(j, { disbursementId: `full-${j}` }))).status);
    expect(new Set(refused)).toEqual(new Set([503]));
    expect(await ledger.logPosition()).toBe(atRefusal);
    await ledger.http.get('/totals').expect(200);

    sqlite.pragma('max_page_count = 1073741823');
    await ledger.http.post('/disbursements').send(boardingPayment(i, { disbursementId: `full-${i}` })).expect(201);
    console.log(`disk-full: ${refused.length + 1} writes refused with 503, log unmoved, writes resumed`);
    await ledger.stop();
  });
});

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerUnderTest } from './support/ledger-app';
import { paymentRow, writeCsv } from './support/payment-lists';

/**
 * A large import does not stop the service: /health answers while the batch is being written (and
 * shows none of it until it is all committed) and while the read models catch up on it. Ordering
 * facts only; the figures are bench/import-responsiveness.ts's.
 */
describe('the service during a large import', () => {
  let ledger: LedgerUnderTest;
  const dir = mkdtempSync(join(tmpdir(), 'ledger-import-responsive-'));
  beforeAll(async () => {
    ledger = await LedgerUnderTest.start({ LEDGER_RATE_LIMIT: '0' });
  });
  afterAll(async () => {
    await ledger.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers /health while the batch is written and while the read models catch up, and never shows part of the batch', async () => {
    const ROWS = 40_000;
    const path = join(dir, 'large.csv');
    writeCsv(path, Array.from({ length: ROWS }, (_, i) => paymentRow(i)));
    const wal = `${ledger.settings.eventStorePath}-wal`;
    const walSize = () => statSync(wal, { throwIfNoEntry: false })?.size ?? 0;
    const before = BigInt(await ledger.logPosition());
    const walBefore = walSize();

    let answered = false;
    const importing = ledger.http
      .post('/imports')
      .query({ commit: 'true' })
      .attach('file', path)
      .then((response) => {
        answered = true;
        return response;
      });
    const seen: Array<{ logPosition: bigint; lag: bigint; walGrew: boolean; importAnswered: boolean }> = [];
    for (;;) {
      const wasAnswered = answered;
      const health = (await ledger.http.get('/health').expect(200)).body;
      seen.push({ logPosition: BigInt(health.logPosition), lag: BigInt(health.readModelsLag), walGrew: walSize() > walBefore, importAnswered: wasAnswered });
      if (wasAnswered && health.readModelsLag === '0') break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const response = await importing;
    expect(response.status).toBe(201);
    const after = before + BigInt(ROWS) + 1n;

    // Never a part of the batch: the log is at its old head, or at the batch's end or past it (the digests signed after it).
    expect(seen.filter((answer) => answer.logPosition > before && answer.logPosition < after)).toEqual([]);
    // The batch was being written (the WAL grew) while /health still answered, at the old head.
    expect(seen.some((answer) => !answer.importAnswered && answer.walGrew && answer.logPosition === before)).toBe(true);
    // The read models were catching up on the batch while /health answered.
    expect(seen.some((answer) => answer.logPosition >= after && answer.lag > 0n)).toBe(true);
  });
});

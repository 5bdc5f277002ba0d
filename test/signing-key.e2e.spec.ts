import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment } from './support/students';

/**
 * The service makes its signing key itself (at its first start, or for a log that holds no digest):
 * never silently. Auditors must be given the new key's public key, or the digests it signs prove
 * nothing to them.
 */
describe('a signing key made by the service', () => {
  const madeKey = (lines: string[]) => lines.filter((line) => /made a new signing key/.test(line));

  it('is announced in one line with its key id, at the first start and whenever it is made again, and not otherwise', async () => {
    const lines: string[] = [];
    const logDestination = { write: (line: string) => void lines.push(line) };
    const ledger = await LedgerUnderTest.start({ LEDGER_DIGEST_EVERY: '0' }, { logDestination });
    const { keyId } = (await ledger.as('auditor').get('/audit/public-key').expect(200)).body;
    expect(madeKey(lines)).toHaveLength(1);
    expect(JSON.parse(madeKey(lines)[0])).toMatchObject({
      level: 'warn',
      msg: expect.stringMatching(new RegExp(`made a new signing key ${keyId} .*give auditors its public key \\(GET /audit/public-key\\)`)),
    });

    await ledger.http.post('/disbursements').send(boardingPayment(1)).expect(201);
    await ledger.as('auditor').post('/audit/digests').expect(200);
    await ledger.close();
    lines.length = 0;
    const again = await LedgerUnderTest.reopen(ledger.dataDir, ledger.tokens, { LEDGER_DIGEST_EVERY: '0' }, { logDestination });
    expect(madeKey(lines)).toEqual([]); // the key was there
    await again.close();

    // Someone deleted the digests (the last events of the log) and the key: the service makes another, and says so.
    const db = new Database(join(ledger.dataDir, 'ledger.sqlite'));
    db.exec("DROP TRIGGER events_refuse_delete; DELETE FROM events WHERE stream_id = 'integrity-digests'");
    db.close();
    rmSync(join(ledger.dataDir, 'signing-key.pem'));
    lines.length = 0;
    const rekeyed = await LedgerUnderTest.reopen(ledger.dataDir, ledger.tokens, { LEDGER_DIGEST_EVERY: '0' }, { logDestination });
    const newKeyId = (await rekeyed.as('auditor').get('/audit/public-key').expect(200)).body.keyId;
    expect(newKeyId).not.toBe(keyId);
    expect(madeKey(lines)).toEqual([expect.stringContaining(`made a new signing key ${newKeyId}`)]);
    await rekeyed.stop();
  });
});

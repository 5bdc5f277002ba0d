import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './support/cli';
import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment } from './support/students';


/** The auditor's CLI on the files of a ledger: verify, replay, anomalies, export. */
describe('the audit CLI', () => {
  let ledger: LedgerUnderTest;
  let paidAt: string;
  const cli = (...args: string[]) => runCli(ledger.dataDir, ...args);

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start({ LEDGER_DIGEST_EVERY: '5' });
    for (let i = 0; i < 12; i++) {
      const paid = await ledger.http.post('/disbursements').send(boardingPayment(800 + i)).expect(201);
      if (i === 4) paidAt = paid.body.events[0].position;
    }
    await ledger.close();
  });
  afterAll(async () => {
    await ledger.stop().catch(() => undefined);
  });

  it('verifies, replays, reports and exports', async () => {
    const verified = await cli('verify');
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, digestsChecked: expect.any(Number) });

    const replay = await cli('replay', '--fiscal-year', '2022');
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/BOARDING_LIVING_SUBSIDY/);
    expect(replay.stdout).toMatch(/6000\.00/);
    expect(replay.stderr).toMatch(/events\/s/);

    const anomalies = await cli('anomalies', '--csv', join(ledger.dataDir, 'anomalies.csv'));
    expect(anomalies.code).toBe(0);
    expect(readFileSync(join(ledger.dataDir, 'anomalies.csv'), 'utf8').trim()).toBe('kind,description,programCode,fiscalYear,period,beneficiaryKey,detail,positions');

    const exported = await cli('export', '--out', join(ledger.dataDir, 'ledger.ndjson'));
    expect(exported.code).toBe(0);
    const lines = readFileSync(join(ledger.dataDir, 'ledger.ndjson'), 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(12);
  });

  it('exits 1 and names the position when the log was edited', async () => {
    const db = new Database(join(ledger.dataDir, 'ledger.sqlite'));
    db.exec('DROP TRIGGER events_refuse_update');
    db.prepare("UPDATE events SET data = replace(data, '\"500.00\"', '\"50.00\"') WHERE position = ?").run(paidAt);
    db.close();
    const verified = await cli('verify');
    expect(verified.code).toBe(1);
    expect(verified.stderr).toMatch(new RegExp(`NOT VERIFIED: content_changed at position ${paidAt}`));
  });
});

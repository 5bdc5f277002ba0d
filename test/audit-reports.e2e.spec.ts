import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment } from './support/students';

describe('the auditor’s reports over HTTP', () => {
  let ledger: LedgerUnderTest;
  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
    await ledger.http
      .post('/budgets/allocations')
      .send({ programCode: 'BOARDING_LIVING_SUBSIDY', fiscalYear: 2022, fundingSource: 'CENTRAL', amount: '1000.00', valueDate: '2022-03-01' })
      .expect(201);
    for (let i = 0; i < 3; i++) await ledger.http.post('/disbursements').send(boardingPayment(700 + i)).expect(201);
  });
  afterAll(async () => {
    await ledger.stop();
  });

  it('lists the year paid over its budget, naming the allocation and the payment beyond it, as JSON and CSV', async () => {
    const report = await ledger.as('auditor').get('/audit/anomalies').expect(200);
    expect(report.body.anomalies).toEqual([
      expect.objectContaining({ kind: 'OVER_BUDGET', programCode: 'BOARDING_LIVING_SUBSIDY', fiscalYear: 2022, positions: expect.arrayContaining([expect.any(String)]) }),
    ]);
    expect(report.body.anomalies[0].positions).toHaveLength(2);
    const before = await ledger.as('auditor').get('/audit/anomalies').query({ asOf: '2021-01-01' }).expect(200);
    expect(before.body.anomalies).toEqual([]);
    const csv = await ledger.as('auditor').get('/audit/anomalies').query({ format: 'csv' }).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe('kind,description,programCode,fiscalYear,period,beneficiaryKey,detail,positions');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^OVER_BUDGET,/);
  });

  it('exports the log with hashes as NDJSON that matches the verified tree', async () => {
    const exported = await ledger.as('auditor').get('/audit/export').buffer(true).parse((res, callback) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () => callback(null, text));
    });
    expect(exported.status).toBe(200);
    expect(exported.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = (exported.body as string).trim().split('\n').map((line) => JSON.parse(line));
    const verified = await ledger.as('auditor').get('/audit/verify').expect(200);
    expect(lines).toHaveLength(verified.body.eventsChecked);
    expect(lines.map((line) => line.leafIndex)).toEqual(lines.map((_, i) => i));
    expect(lines.every((line) => line.hash === line.metadata.integrity.hash)).toBe(true);
    expect(lines.filter((line) => line.type === 'DisbursementRecorded')).toHaveLength(3);
  });
});

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
    // The third goes over the budget: refused by the write path unless recorded with an override, and then still reported.
    for (let i = 0; i < 3; i++) {
      await ledger.http.post('/disbursements').send(boardingPayment(700 + i, i === 2 ? { budgetOverride: { reason: 'paid by the bank before the allocation was raised' } } : {})).expect(201);
    }
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
    const before = await ledger.as('auditor').get('/audit/anomalies').query({ recordedBy: '2021-01-01' }).expect(200);
    expect(before.body).toMatchObject({ eventsChecked: 0, anomalies: [] });
    const csv = await ledger.as('auditor').get('/audit/anomalies').query({ format: 'csv' }).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe('kind,description,programCode,fiscalYear,period,beneficiaryKey,detail,positions');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^OVER_BUDGET,/);
  });

  it('finds the year over budget from the value date of the payment beyond it, not before; refuses the ambiguous asOf', async () => {
    const dayBefore = await ledger.as('auditor').get('/audit/anomalies').query({ valuedUpTo: '2022-10-19' }).expect(200);
    expect(dayBefore.body.anomalies).toEqual([]);
    expect(dayBefore.body.basis).toMatch(/^valued up to 2022-10-19: /);
    const thatDay = await ledger.as('auditor').get('/audit/anomalies').query({ valuedUpTo: '2022-10-20' }).expect(200);
    expect(thatDay.body.anomalies.map((anomaly: { kind: string }) => anomaly.kind)).toEqual(['OVER_BUDGET']);
    const head = await ledger.logPosition();
    const refused = await ledger.as('auditor').get('/audit/anomalies').query({ asOf: '2022-10-31' });
    expect(refused.status).toBe(400);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body.errors).toEqual([{ field: 'asOf', message: expect.stringMatching(/valuedUpTo=YYYY-MM-DD .* recordedBy=YYYY-MM-DD/) }]);
    expect(await ledger.logPosition()).toBe(head);
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

describe('reconciliation over HTTP', () => {
  let ledger: LedgerUnderTest;
  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
    await ledger.http.post('/disbursements').send({ ...boardingPayment(1), programCode: 'YULU_PLAN', stage: 'secondary_vocational', schoolCode: '3665000001', period: '2022-2023', amount: '3000.00' }).expect(201);
  });
  afterAll(async () => {
    await ledger.stop();
  });

  it('lists the declared reports and reconciles one as JSON, CSV and XLSX', async () => {
    const reports = await ledger.as('bureau_staff').get('/reports').expect(200);
    expect(reports.body.reports).toEqual([expect.objectContaining({ id: 'yining-2022', published: '2023-04-02' })]);
    const json = await ledger.as('bureau_staff').get('/reports/yining-2022/reconciliation').expect(200);
    expect(json.body.lines.find((line: { lineId: string }) => line.lineId === 'yulu')).toMatchObject({
      status: 'differs',
      ledger: { persons: 1, amountYuan: '3000.00' },
      difference: { count: -433, amountYuan: '-1299000.00' },
    });
    const csv = await ledger.as('bureau_staff').get('/reports/yining-2022/reconciliation').query({ format: 'csv' }).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.text).toMatch(/^\ufeffline,text,programs/);
    const xlsx = await ledger.as('bureau_staff').get('/reports/yining-2022/reconciliation').query({ format: 'xlsx' }).buffer(true).parse((res, callback) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => callback(null, Buffer.concat(chunks)));
    });
    expect(xlsx.headers['content-type']).toMatch(/spreadsheetml/);
    expect((xlsx.body as Buffer).subarray(0, 2).toString()).toBe('PK');
    expect((await ledger.as('bureau_staff').get('/reports/no-such-report/reconciliation')).status).toBe(404);
  });
});

import { rmSync } from 'node:fs';
import { FakeEventStoreDb } from './support/fake-eventstoredb';
import { LedgerUnderTest, inParallel } from './support/ledger-app';
import { residentId, schoolCode } from './support/students';

/**
 * The core scenario of the 2022 Yining report, on each store: record the Yulu-plan and
 * boarding-subsidy payments over HTTP, restart, and read exactly the report's totals.
 * EventStoreDB runs as the in-process gRPC test double, or a real server when
 * LEDGER_TEST_EVENTSTOREDB_URL is set (npm run test:eventstoredb).
 */
describe.each(['sqlite', 'eventstoredb'] as const)('recording the report’s Yulu-plan and boarding payments (%s)', (store) => {
  let ledger: LedgerUnderTest;
  let fake: FakeEventStoreDb | undefined;
  beforeAll(async () => {
    let env: Record<string, string> = {};
    if (store === 'eventstoredb') {
      let url = process.env.LEDGER_TEST_EVENTSTOREDB_URL;
      if (!url) {
        fake = new FakeEventStoreDb();
        await fake.start();
        url = fake.connectionString;
      }
      env = { LEDGER_EVENT_STORE: 'eventstoredb', LEDGER_EVENTSTOREDB_URL: url, LEDGER_EVENTSTOREDB_STREAM_PREFIX: `e2e-${Date.now()}-` };
    }
    ledger = await LedgerUnderTest.start(env);
  });
  afterAll(async () => {
    await ledger.stop();
    await fake?.stop();
  });

  const yuluPayments = Array.from({ length: 434 }, (_, i) => ({
    disbursementId: `yulu-2022-${i}`,
    student: { residentId: residentId(i, 2004) },
    schoolCode: schoolCode('36', 1 + (i % 3)),
    stage: i % 4 === 0 ? 'higher_vocational' : 'secondary_vocational',
    programCode: 'YULU_PLAN',
    period: '2022-2023',
    amount: '3000.00',
    payee: { type: 'student' },
    valueDate: '2022-10-15',
  }));

  /**
   * 1,455 boarders: 700 in primary school (¥500 a term), 755 in junior school (¥625 a term);
   * 269 of the primary and 276 of the junior boarders are paid for both 2022 terms.
   * 969 × 500 + 1,031 × 625 = ¥1,128,875.00 in 2,000 payments.
   */
  const boardingPayments = Array.from({ length: 1455 }, (_, i) => {
    const primary = i < 700;
    const twice = primary ? i < 269 : i - 700 < 276;
    const line = {
      student: { residentId: residentId(i, 2011) },
      schoolCode: primary ? schoolCode('21', 1 + (i % 20)) : schoolCode('31', 1 + (i % 8)),
      stage: primary ? 'primary' : 'junior',
      programCode: 'BOARDING_LIVING_SUBSIDY',
      amount: primary ? '500.00' : '625.00',
      payee: { type: 'student' },
    };
    const autumn = { ...line, disbursementId: `boarding-${i}-autumn`, period: '2022-autumn', valueDate: '2022-10-20' };
    const spring = { ...line, disbursementId: `boarding-${i}-spring`, period: '2022-spring', valueDate: '2022-04-20' };
    return twice ? [spring, autumn] : [autumn];
  }).flat();

  it('accepts every payment', async () => {
    expect(boardingPayments).toHaveLength(2000);
    const statuses = await inParallel(
      16,
      [...yuluPayments, ...boardingPayments].map((body) => async () => (await ledger.http.post('/disbursements').send(body)).status),
    );
    expect(statuses.filter((status) => status !== 201)).toEqual([]);
  });

  const expectReportTotals = async () => {
    const response = await ledger.http.get('/totals').query({ fiscalYear: 2022 }).expect(200);
    const byProgram = Object.fromEntries(response.body.totals.map((row: { programCode: string }) => [row.programCode, row]));
    expect(byProgram.YULU_PLAN.net).toEqual({ personTimes: 434, students: 434, amount: { yuan: '1302000.00', wanYuan: '130.2' } });
    expect(byProgram.BOARDING_LIVING_SUBSIDY.net).toEqual({
      personTimes: 2000,
      students: 1455,
      amount: { yuan: '1128875.00', wanYuan: '112.8875' },
    });
    expect(byProgram.BOARDING_LIVING_SUBSIDY.paid.amount.yuan).toBe('1128875.00');
  };

  it('reads the report’s totals after a restart on the same file', async () => {
    await ledger.restart();
    await expectReportTotals();
  });

  it('reads the same totals after the read models are deleted and rebuilt from the log', async () => {
    await ledger.restart(() => rmSync(ledger.settings.readModelsPath));
    await expectReportTotals();
  });

  it('cuts the boarding totals by stage and by term', async () => {
    const byStage = await ledger.http.get('/totals').query({ fiscalYear: 2022, programCode: 'BOARDING_LIVING_SUBSIDY', groupBy: 'stage' }).expect(200);
    expect(byStage.body.totals.map((row: any) => [row.group.stage, row.net.students, row.net.personTimes, row.net.amount.yuan])).toEqual([
      ['junior', 755, 1031, '644375.00'],
      ['primary', 700, 969, '484500.00'],
    ]);
    const byTerm = await ledger.http.get('/totals').query({ fiscalYear: 2022, programCode: 'BOARDING_LIVING_SUBSIDY', groupBy: 'period' }).expect(200);
    expect(byTerm.body.totals.map((row: any) => [row.group.period, row.net.students, row.net.amount.yuan])).toEqual([
      ['2022-autumn', 1455, '821875.00'], // 700 × 500 + 755 × 625,
      ['2022-spring', 545, '307000.00'], // 269 × 500 + 276 × 625,
    ]);
  });
});

import { ledgerOnDisk, readSideOf, residentIdOf } from '../testing/ledger-on-disk';
import { RecordDisbursementCommand, RecordDisbursementHandler } from '../record-disbursement/record-disbursement';
import { AnomaliesHandler, AnomaliesQuery } from './anomalies';

describe('the anomaly report', () => {
  let ledger: ReturnType<typeof ledgerOnDisk>;
  let read: ReturnType<typeof readSideOf>;
  beforeEach(() => {
    ledger = ledgerOnDisk();
    read = readSideOf(ledger);
  });
  afterEach(async () => {
    await read.models.close();
    await ledger.close();
  });

  it('replays the log for the anomalies, as JSON or CSV, and refuses the ambiguous asOf', async () => {
    await new RecordDisbursementHandler(ledger.records).execute(
      new RecordDisbursementCommand({ student: { residentId: residentIdOf(1) }, schoolCode: '4165010694', stage: 'undergraduate', programCode: 'XINJIANG_AID_GRANT', period: '2022-2023', amount: '6000.00', payee: { type: 'student' }, valueDate: '2022-11-05' }, ledger.write),
    );
    const anomalies = new AnomaliesHandler(read.readSide, ledger.store, ledger.catalog);
    const json = await anomalies.execute(new AnomaliesQuery({}));
    expect(json.format === 'json' && [json.body.eventsChecked, json.body.anomalies]).toEqual([1, []]);
    const csv = await anomalies.execute(new AnomaliesQuery({ format: 'csv' }));
    expect(csv.format === 'csv' && csv.body.trim().split(/\r?\n/)).toHaveLength(1);
    await expect(anomalies.execute(new AnomaliesQuery({ asOf: '2022-12-31', format: 'xml' }))).rejects.toMatchObject({ code: 'REQUEST_INVALID', problems: [{ field: 'format' }, { field: 'asOf' }] });
  });
});

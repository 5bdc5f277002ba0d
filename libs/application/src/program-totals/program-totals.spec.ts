import { ParametersInvalid } from '../query-parameters';
import { ledgerOnDisk, readSideOf, residentIdOf } from '../testing/ledger-on-disk';
import { RecordDisbursementCommand, RecordDisbursementHandler } from '../record-disbursement/record-disbursement';
import { ProgramTotalsHandler, ProgramTotalsQuery } from './program-totals';

describe('program totals', () => {
  let ledger: ReturnType<typeof ledgerOnDisk>;
  let read: ReturnType<typeof readSideOf>;
  let totals: ProgramTotalsHandler;
  beforeEach(async () => {
    ledger = ledgerOnDisk();
    read = readSideOf(ledger);
    totals = new ProgramTotalsHandler(read.readSide, ledger.catalog, ledger.store);
    const pay = new RecordDisbursementHandler(ledger.records);
    for (const i of [1, 2]) {
      await pay.execute(new RecordDisbursementCommand({ student: { residentId: residentIdOf(i) }, schoolCode: '4165010694', stage: 'undergraduate', programCode: 'XINJIANG_AID_GRANT', period: '2022-2023', amount: '6000.00', payee: { type: 'student' }, valueDate: '2022-11-05' }, ledger.write));
    }
    await read.catchUp();
  });
  afterEach(async () => {
    await read.models.close();
    await ledger.close();
  });

  it('answers the totals the parameters ask for, live and as of a log position', async () => {
    const live = await totals.execute(new ProgramTotalsQuery({ fiscalYear: '2022', programCode: 'XINJIANG_AID_GRANT' }));
    expect(live.format).toBe('json');
    expect(((live.body as { totals: Array<{ net: unknown }> }).totals)[0].net).toEqual({ personTimes: 2, students: 2, amount: { yuan: '12000.00', wanYuan: '1.2' } });
    const earlier = await totals.execute(new ProgramTotalsQuery({ asOfPosition: '1' }));
    expect((earlier.body as { totals: Array<{ net: { personTimes: number } }> }).totals[0].net.personTimes).toBe(1);
    const csv = await totals.execute(new ProgramTotalsQuery({ format: 'csv' }));
    expect([csv.format, String(csv.body).trim().split(/\r?\n/).length]).toEqual(['csv', 2]); // the header and the program's row
  });

  it('names every parameter at fault, without echoing it', async () => {
    const refusal = await totals.execute(new ProgramTotalsQuery({ fiscalYear: '22', stage: 'kindergarten', colour: 'red', asOf: '2022-01-01', format: 'pdf' })).catch((error) => error);
    expect(refusal).toBeInstanceOf(ParametersInvalid);
    expect([refusal.code, refusal.kind]).toEqual(['REQUEST_INVALID', 'invalid']);
    expect(refusal.problems.map((problem: { field: string }) => problem.field)).toEqual(['colour', 'fiscalYear', 'stage', 'asOf', 'format']);
  });
});

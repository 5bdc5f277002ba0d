import { LocalDate } from '@ledger/domain';
import { ledgerOnDisk, readSideOf, residentIdOf } from '../testing/ledger-on-disk';
import { RecordDisbursementCommand, RecordDisbursementHandler } from '../record-disbursement/record-disbursement';
import { RecordLoanCommand, RecordLoanHandler } from '../record-loan/record-loan';
import { RecordRepaymentCommand, RecordRepaymentHandler } from '../record-repayment/record-repayment';
import { EraseStudentDataCommand, EraseStudentDataHandler } from '../erase-student-data/erase-student-data';
import { writeContextFor } from '../write-context';
import { RetentionDueHandler, RetentionDueQuery, retentionDueCsv } from './retention-due';

describe('the students due for erasure (retention ended)', () => {
  let ledger: ReturnType<typeof ledgerOnDisk>;
  let read: ReturnType<typeof readSideOf>;
  const clock = { today: () => '2024-06-30' as LocalDate };
  beforeEach(() => {
    ledger = ledgerOnDisk();
    read = readSideOf(ledger);
  });
  afterEach(async () => {
    await read.models.close();
    await ledger.close();
  });

  const pay = (i: number, overrides: Record<string, unknown> = {}) =>
    new RecordDisbursementHandler(ledger.records).execute(
      new RecordDisbursementCommand(
        { student: { residentId: residentIdOf(i) }, schoolCode: '2165000001', stage: 'primary', programCode: 'BOARDING_LIVING_SUBSIDY', period: '2016-autumn', amount: '500.00', payee: { type: 'student' }, valueDate: '2016-10-20', ...overrides },
        ledger.write,
      ),
    );
  const lend = (i: number) =>
    new RecordLoanHandler(ledger.records).execute(
      new RecordLoanCommand(
        { loanId: `loan-${i}`, student: { residentId: residentIdOf(i) }, schoolCode: '4165010001', stage: 'undergraduate', programCode: 'ORIGIN_CREDIT_LOAN', period: '2015-2016', amount: '8000.00', payee: { type: 'university_fee_account', name: 'Xinjiang University' }, valueDate: '2015-09-20' },
        ledger.write,
      ),
    );
  const keyOf = (i: number) => ledger.recordStreamOf(residentIdOf(i)).replace('beneficiary-', '');

  it('lists exactly the students every rule of whom has run out, oldest first, by their opaque keys — not one still aided, erased, or owing a loan', async () => {
    await pay(1); // boarding, autumn 2016: due since 1 February 2022
    await pay(2);
    // … and aided again by another program in 2022-2023: not due (all their data stays).
    await pay(2, { schoolCode: '4165010694', stage: 'undergraduate', programCode: 'XINJIANG_AID_GRANT', period: '2022-2023', amount: '6000.00', valueDate: '2022-11-05' });
    await pay(3);
    await lend(4); // a loan of 2015 never repaid: kept
    await lend(5); // a loan of 2015 repaid in full on 30 June 2018: due since 1 July 2023
    await read.catchUp();
    await new RecordRepaymentHandler(ledger.records, read.readSide).execute(new RecordRepaymentCommand('loan-5', { amount: '8000.00', valueDate: '2018-06-30' }, ledger.write));
    await new EraseStudentDataHandler(ledger.records).execute(
      new EraseStudentDataCommand(residentIdOf(3), { legalBasis: 'RETENTION_ENDED', reference: 'R-1' }, writeContextFor({ id: 'admin', role: 'admin' }, 'test')),
    );
    await read.catchUp();

    const due = await new RetentionDueHandler(read.readSide, ledger.catalog, clock).execute(new RetentionDueQuery());
    expect(due).toEqual({
      today: '2024-06-30',
      asOfPosition: String(read.models.checkpoint),
      count: 2,
      students: [
        { studentKey: keyOf(1), dueSince: '2022-02-01', programs: [{ programCode: 'BOARDING_LIVING_SUBSIDY', anchor: '2017-01-31', dueFrom: '2022-02-01' }] },
        { studentKey: keyOf(5), dueSince: '2023-07-01', programs: [{ programCode: 'ORIGIN_CREDIT_LOAN', anchor: '2018-06-30', dueFrom: '2023-07-01' }] },
      ],
      notListedUnderIdentifiers: 0,
      keptOnLegalHold: 0,
    });
    expect(JSON.stringify(due)).not.toContain(residentIdOf(1).slice(6, 14));
    expect(retentionDueCsv(due.students).replace(/^\ufeff/, '').trim().split('\n')).toEqual([
      'studentKey,dueSince,programCode,anchor,dueFrom',
      `${keyOf(1)},2022-02-01,BOARDING_LIVING_SUBSIDY,2017-01-31,2022-02-01`,
      `${keyOf(5)},2023-07-01,ORIGIN_CREDIT_LOAN,2018-06-30,2023-07-01`,
    ]);
  });

  it('refuses a parameter it does not take, naming it', async () => {
    await expect(new RetentionDueHandler(read.readSide, ledger.catalog, clock).execute(new RetentionDueQuery({ programCode: 'X' }))).rejects.toMatchObject({ code: 'REQUEST_INVALID', field: 'programCode' });
  });
});

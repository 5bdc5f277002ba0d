import { parseRecordDisbursement } from '../beneficiary/beneficiary.commands';
import { DomainError } from '../errors';
import { gb11643CheckCharacter } from '../identifiers';
import { shippedCatalog } from '../testing/catalog.fixture';
import { ListCell } from './cell-values';
import { ImportField } from './payment-list';
import { readPaymentRow, rowRuleProblems } from './payment-row';

const residentId = (() => {
  const first17 = '65400220110315001';
  return first17 + gb11643CheckCharacter(first17);
})();

/** A boarding-subsidy row as a school writes it. */
const row = (overrides: Partial<Record<ImportField, ListCell>> = {}) => {
  const cells: Partial<Record<ImportField, ListCell>> = {
    name: '学生1', residentId, schoolCode: '2165000001', stage: '小学', programCode: '寄宿生生活补助', period: '2022年秋季', amount: '￥500.00', valueDate: '2022年10月20日', ...overrides,
  };
  return (field: ImportField) => cells[field] ?? '';
};

describe('a payment list row, read as the write path reads a payment', () => {
  const catalog = shippedCatalog();

  it('is the RecordDisbursement the HTTP route would make of the same payment', () => {
    const read = readPaymentRow(row({ disbursementId: 'PAY-1', payeeType: '学生', account: '6217000000000000001' }), 'unused', catalog);
    expect(read.problems).toBeUndefined();
    expect(read.command).toEqual(
      parseRecordDisbursement({
        disbursementId: 'PAY-1', student: { residentId, name: '学生1' }, schoolCode: '2165000001', stage: 'primary', programCode: 'BOARDING_LIVING_SUBSIDY',
        period: '2022-autumn', amount: '500.00', payee: { type: 'student', account: '6217000000000000001' }, valueDate: '2022-10-20',
      }),
    );
  });

  it('pays the program’s payee when the list has no 收款方类型, and numbers the row when it has no 编号', () => {
    const read = readPaymentRow(row({ programCode: '营养餐', amount: 480.5 }), 'batch-7', catalog);
    expect(read.command?.data).toMatchObject({ disbursementId: 'batch-7', programCode: 'NUTRITION_IMPROVEMENT', payee: { type: 'canteen' }, amount: expect.objectContaining({ fen: 48050n }) });
  });

  it('has every problem of a row, each on its field, not only the first', () => {
    const read = readPaymentRow(row({ residentId: residentId.slice(0, 17) + (residentId[17] === '0' ? '1' : '0'), stage: '大学', programCode: '生活补助', amount: '5,00', valueDate: '10/20/2022', payeeType: '银行' }), 'x', catalog);
    expect(read.problems?.map((problem) => [problem.field, problem.code])).toEqual([
      ['programCode', 'PROGRAM_UNKNOWN'],
      ['amount', 'AMOUNT_INVALID'],
      ['valueDate', 'DATE_INVALID'],
      ['residentId', 'RESIDENT_ID_INVALID'],
      ['stage', 'FIELD_INVALID'],
      ['payeeType', 'FIELD_INVALID'],
    ]);
  });

  it('checks the names and the account as free text (parseFreeText), as the HTTP route does, each problem on its column', () => {
    const read = readPaymentRow(row({ name: '学生\n1', payeeType: '学生', account: '6217\u00000001' }), 'x', catalog);
    expect(read.problems?.map((problem) => [problem.field, problem.code])).toEqual([
      ['name', 'FIELD_INVALID'],
      ['account', 'FIELD_INVALID'],
    ]);
  });

  it('refuses an 18-digit ID from a number cell, which Excel cut to 15 digits (even when what is left passes its check)', () => {
    const cut = Number(residentId.slice(0, 15) + '000'); // what Excel keeps of it
    const read = readPaymentRow(row({ residentId: cut, account: 6217000000000000001 }), 'x', catalog);
    expect(read.problems?.map((problem) => [problem.field, problem.code])).toEqual([
      ['residentId', 'RESIDENT_ID_INVALID'],
      ['account', 'FIELD_INVALID'],
    ]);
    expect(read.problems?.[0].message).toMatch(/Excel keeps only 15 digits.*format the column as text/);
  });

  it('has every catalog rule a row breaks when the decider refuses one of them', () => {
    const read = readPaymentRow(row({ stage: '高中', amount: '520.00', payeeType: '食堂' }), 'x', catalog);
    const command = read.command!;
    const refusal = new DomainError('STAGE_NOT_ELIGIBLE', 'rule', 'BOARDING_LIVING_SUBSIDY is for primary, junior, not senior', 'stage');
    expect(rowRuleProblems(refusal, command, catalog).map((problem) => [problem.field, problem.code])).toEqual([
      ['stage', 'STAGE_NOT_ELIGIBLE'],
      ['payeeType', 'PAYEE_NOT_ALLOWED'],
    ]);
    const offStandard = readPaymentRow(row({ amount: '520.00', payeeType: '食堂' }), 'x', catalog).command!;
    expect(rowRuleProblems(new DomainError('PAYEE_NOT_ALLOWED', 'rule', '…', 'payee.type'), offStandard, catalog).map((problem) => [problem.field, problem.code])).toEqual([
      ['payeeType', 'PAYEE_NOT_ALLOWED'],
      ['amount', 'AMOUNT_OFF_STANDARD'],
    ]);
  });

  it('keeps a refusal that is not a catalog rule as it is', () => {
    const command = readPaymentRow(row(), 'x', catalog).command!;
    const duplicate = new DomainError('DUPLICATE_PAYMENT', 'conflict', 'already paid', 'period');
    expect(rowRuleProblems(duplicate, command, catalog)).toEqual([{ field: 'period', code: 'DUPLICATE_PAYMENT', message: 'already paid' }]);
  });
});

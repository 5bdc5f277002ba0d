import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { isBlankRow, isTotalRow, matchHeaders, parseColumnMapping, parseImportFileName, rowWiderThanHeader } from './payment-list';

describe('the columns of a payment list', () => {
  const mapping = parseColumnMapping(parse(readFileSync(join(__dirname, '../../../../config/import-columns.yaml'), 'utf8')));

  it('finds each field’s column by its header, as lists write headers (marks, spaces, line breaks, full width)', () => {
    const headers = ['序号', '*姓名', '身份证号码', '学校\n代码', ' 学段 ', '资助项目', '学期', '金额（元）', '发放日期', '※收款方类型'];
    const { columns, missing } = matchHeaders(headers, mapping);
    expect(missing).toEqual([]);
    expect(columns).toMatchObject({ name: 1, residentId: 2, schoolCode: 3, stage: 4, programCode: 5, period: 6, amount: 7, valueDate: 8, payeeType: 9 });
  });

  it('says what a row lacks to be the header (a title row lacks everything)', () => {
    expect(matchHeaders(['2022年秋季学期学生资助发放名单'], mapping).missing).toEqual(['schoolCode', 'stage', 'programCode', 'period', 'amount', 'valueDate', 'residentId']);
    expect(matchHeaders(['姓名', '学籍号', '学校标识码', '学段', '项目', '学期', '金额'], mapping).missing).toEqual(['valueDate']);
  });

  it('tells a 合计 row from a payment: it says so first and names no student', () => {
    const { columns } = matchHeaders(['姓名', '身份证号', '学校标识码', '学段', '项目', '学期', '金额', '发放日期'], mapping);
    expect(isTotalRow(['合计', '', '', '', '', '', '7961.00', ''], columns)).toBe(true);
    expect(isTotalRow(['', '总 计：', '', '', '', '', 7961, ''], columns)).toBe(true);
    expect(isTotalRow(['小计', '', '', '', '', '', '3980.50', ''], columns)).toBe(true);
    expect(isTotalRow(['合计', '654002201103150011', '', '', '', '', '500', ''], columns)).toBe(false);
    expect(isTotalRow(['学生1', '654002201103150011', '', '', '', '', '500', ''], columns)).toBe(false);
    expect(isBlankRow(['', ' ', ''])).toBe(true);
  });

  it('tells a row with more cells than its header (an unquoted comma shifted them) and guesses none of its fields', () => {
    expect(rowWiderThanHeader(['学生1', '654002201103150011', '2165000001', '小学', '寄宿生生活补助', '2022秋', '5', '00', '2022-10-20'], 8, 3)).toEqual({
      code: 'IMPORT_ROW_TOO_MANY_CELLS',
      message: expect.stringMatching(/^row 3 has 9 cells, the header 8: a comma inside a cell that is not in quotes \(5,00 or 1,000\.00\) splits it in two/),
    });
    expect(rowWiderThanHeader(['a', 'b', ''], 2, 4)?.message).toMatch(/^row 4 has 3 cells, the header 2: .*or the line ends with a comma too many/);
    expect(rowWiderThanHeader(['a', 'b'], 2, 5)).toBeUndefined();
    expect(rowWiderThanHeader(['a'], 2, 6)).toBeUndefined();
  });
});

describe('the name of an imported file', () => {
  it('is kept as sent when it is one line of text: Chinese, spaces, brackets', () => {
    expect(parseImportFileName('2022年秋季 寄宿生生活补助（第一批）.xlsx')).toBe('2022年秋季 寄宿生生活补助（第一批）.xlsx');
  });

  it('is kept with what the redaction recognises as personal data taken out: it stays in the log past any erasure', () => {
    expect(parseImportFileName('张伟（654002201001010015）补发 6222021234567890128.xlsx')).toBe('张*（[redacted]）补发 [redacted].xlsx');
  });

  it.each([
    ['a NUL', 'a\u0000b.csv'],
    ['a bell', 'list\u0007.csv'],
    ['a right-to-left override', 'invoice\u202excl.csv'],
    ['a line break', 'two\nlines.csv'],
    ['a name longer than a file system allows', `${'名'.repeat(256)}.csv`],
  ])('is refused on the upload field when it holds %s: it would stay in the log for ever', (_, name) => {
    expect(() => parseImportFileName(name)).toThrow(expect.objectContaining({ code: 'FIELD_INVALID', field: 'file' }));
  });
});

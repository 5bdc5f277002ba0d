import { shippedCatalog } from '../testing/catalog.fixture';
import { cellText, cellValue, findProgram, readAmount, readDate, readPayeeType, readPeriod, readStage } from './cell-values';

describe('the cells of a payment list, as offices write them', () => {
  describe('dates', () => {
    it.each([
      ['2022-10-20', '2022-10-20'],
      ['2022/10/20', '2022-10-20'],
      ['2022.10.20', '2022-10-20'],
      ['2022-1-5', '2022-01-05'],
      ['2022年10月20日', '2022-10-20'],
      ['2022年1月5日', '2022-01-05'],
      ['2022 年 10 月 20 日', '2022-10-20'],
      ['20221020', '2022-10-20'],
      ['２０２２年１０月２０日', '2022-10-20'],
      ['2022/10/20 0:00:00', '2022-10-20'],
    ])('reads %s as %s', (text, date) => {
      expect(readDate(text)).toBe(date);
    });

    it.each(['10/20/2022', '20/10/2022', '22/10/20', '2022-10', '2022年10月', '44854', 'yesterday'])('refuses %s, which does not read one way only', (text) => {
      expect(() => readDate(text, '发放日期')).toThrow(expect.objectContaining({ code: 'DATE_INVALID', message: expect.stringMatching(/2022年10月20日/) }));
    });

    it('refuses a date that is not in the calendar', () => {
      expect(() => readDate('2022年2月30日')).toThrow(expect.objectContaining({ code: 'DATE_INVALID' }));
    });

    it('reads an Excel serial whose cell lost its date format, counting as Excel does (after its 29 February 1900)', () => {
      expect(readDate(44854)).toBe('2022-10-20');
      expect(readDate(44854.75)).toBe('2022-10-20'); // 18:00 the same day
      expect(readDate(32874)).toBe('1990-01-01');
      expect(readDate(20221020)).toBe('2022-10-20');
      expect(() => readDate(123)).toThrow(expect.objectContaining({ code: 'DATE_INVALID' }));
    });

    it('reads a date cell as the date it shows, whatever the time zone (the reader gives it as a UTC instant)', () => {
      expect(readDate(new Date(Date.UTC(2022, 9, 20)))).toBe('2022-10-20');
      expect(readDate(new Date(Date.UTC(2022, 9, 20, 23, 59)))).toBe('2022-10-20');
    });
  });

  describe('amounts', () => {
    it.each([
      ['500.00', '500.00'],
      ['￥500.00', '500.00'],
      ['¥500', '500'],
      ['500元', '500'],
      ['500.00元', '500.00'],
      ['RMB 500', '500'],
      ['1,000.00', '1000.00'],
      ['1,234,567.5', '1234567.5'],
      ['１０００', '1000'],
      ['１，０００．５０', '1000.50'],
      [' 480.50 ', '480.50'],
    ])('reads %s as %s', (text, amount) => {
      expect(readAmount(text)).toBe(amount);
    });

    it('reads a number cell as Excel shows it, without the float’s noise', () => {
      expect(readAmount(480.5)).toBe('480.5');
      expect(readAmount(0.1 * 3 * 1000)).toBe('300');
      expect(readAmount(312.50000000000006)).toBe('312.5');
    });

    it.each(['5,00', '1,0000', '12,34.5', ',500'])('refuses %s: its comma does not separate thousands', (text) => {
      expect(() => readAmount(text, '金额')).toThrow(expect.objectContaining({ code: 'AMOUNT_INVALID', field: '金额' }));
    });

    it('leaves what is not an amount, as written, for the parser to refuse', () => {
      expect(readAmount('five hundred')).toBe('five hundred');
      expect(readAmount('-500')).toBe('-500');
    });
  });

  it('reads who is paid in the words lists use', () => {
    expect(['学生', '学生本人', '个人', '食堂', '学校食堂', '学校', '高校学费账户', '学费账户', '高校', 'canteen', 'University_Fee_Account'].map(readPayeeType)).toEqual([
      'student', 'student', 'student', 'canteen', 'canteen', 'school', 'university_fee_account', 'university_fee_account', 'university_fee_account', 'canteen', 'university_fee_account',
    ]);
    expect(readPayeeType('银行')).toBe('银行');
  });

  it('reads stages and periods in their Chinese forms', () => {
    expect(['小学', '初中', '普通高中', '中职', '高职专科', '本科', 'primary'].map(readStage)).toEqual(['primary', 'junior', 'senior', 'secondary_vocational', 'higher_vocational', 'undergraduate', 'primary']);
    expect(['2022年秋季', '2022秋', '２０２３春', '2022-2023学年', '2022—2023', '2022-autumn'].map(readPeriod)).toEqual(['2022-autumn', '2022-autumn', '2023-spring', '2022-2023', '2022-2023', '2022-autumn']);
  });

  it('finds a program by its code, its names or a short name, in any spacing or width', () => {
    const catalog = shippedCatalog();
    const code = (text: string) => findProgram(text, catalog)?.code;
    expect(code('YULU_PLAN')).toBe('YULU_PLAN');
    expect(code('雨露计划')).toBe('YULU_PLAN');
    expect(code('yulu plan (vocational education for formerly poor households)')).toBe('YULU_PLAN');
    expect(code('寄宿生生活补助')).toBe('BOARDING_LIVING_SUBSIDY');
    expect(code('非寄宿生生活补助')).toBe('NON_BOARDING_LIVING_SUBSIDY');
    expect(code('营养餐')).toBe('NUTRITION_IMPROVEMENT');
    expect(code(' 营养 改善计划 ')).toBe('NUTRITION_IMPROVEMENT');
    expect(code('生活补助')).toBeUndefined();
  });

  it('reads a workbook reader’s values as text: rich text, hyperlinks, formulas, errors', () => {
    expect(cellValue({ richText: [{ text: '学生' }, { text: '1' }] })).toBe('学生1');
    expect(cellValue({ text: '6217000', hyperlink: 'mailto:x' })).toBe('6217000');
    expect(cellValue({ formula: 'SUM(G2:G7)', result: 7961 })).toBe(7961);
    expect(cellValue({ error: '#REF!' })).toBe('');
    expect(cellText(7961)).toBe('7961');
    expect(cellText(new Date(Date.UTC(2022, 9, 20)))).toBe('2022-10-20');
  });
});

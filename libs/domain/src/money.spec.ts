import { Money } from './money';
import { DomainError } from './errors';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as DomainError).code;
  }
  return 'accepted';
};

describe('Money', () => {
  it.each([
    ['3000', 300000n],
    ['3000.00', 300000n],
    ['312.5', 31250n],
    ['0.01', 1n],
    ['0', 0n],
    ['999999999999.99', 99999999999999n],
  ])('parses %s exactly', (text, fen) => {
    expect(Money.parse(text).fen).toBe(fen);
  });

  it.each([
    ['-1.00'],
    ['1.005'],
    ['1e3'],
    ['NaN'],
    ['Infinity'],
    [''],
    [' 1'],
    ['1,000.00'],
    ['+5'],
    ['.5'],
    ['5.'],
    ['0x10'],
    ['1000000000000.00'],
    ['99999999999999999999999'],
  ])('refuses %j', (text) => {
    expect(codeOf(() => Money.parse(text))).toBe('AMOUNT_INVALID');
  });

  it('refuses JavaScript numbers, even exact ones', () => {
    expect(codeOf(() => Money.parse(3000))).toBe('AMOUNT_INVALID');
    expect(codeOf(() => Money.parse(0.1))).toBe('AMOUNT_INVALID');
  });

  it('says why an amount is refused, naming the field', () => {
    expect(() => Money.parse('1.005', 'amount')).toThrow(/amount "1.005".*at most 2 decimal places/);
    expect(() => Money.parse('-3', 'amount')).toThrow(/negative/);
  });

  it('adds without floating-point error', () => {
    const tenth = Money.parse('0.10');
    expect(Money.sum([tenth, tenth, tenth]).toString()).toBe('0.30');
    expect(Money.parse('312.50').times(30115).toString()).toBe('9410937.50');
  });

  it('formats yuan with two decimals and for display', () => {
    expect(Money.parse('1128875').toString()).toBe('1128875.00');
    expect(Money.parse('1128875').toDisplay()).toBe('¥1,128,875.00');
    expect(Money.fromFen(-25000n).toString()).toBe('-250.00');
  });

  it('prints 万元 exactly as the work report does', () => {
    expect(Money.parse('19965437.50').toWanYuan()).toBe('1996.54375');
    expect(Money.parse('1128875.00').toWanYuan()).toBe('112.8875');
    expect(Money.parse('1302000').toWanYuan()).toBe('130.2');
    expect(Money.parse('0.01').toWanYuan()).toBe('0.000001');
  });

  it('rounds 万元 only when asked, and says so', () => {
    expect(Money.parse('19965437.50').toWanYuanRounded(2)).toEqual({ value: '1996.54', rounded: true });
    expect(Money.parse('1302000').toWanYuanRounded(2)).toEqual({ value: '130.20', rounded: false });
  });

  it('reads 万元 figures from a report back into exact yuan', () => {
    expect(Money.fromWanYuan('1996.54375').toString()).toBe('19965437.50');
    expect(codeOf(() => Money.fromWanYuan('1.0000001'))).toBe('AMOUNT_INVALID');
  });

  it('refuses zero where an amount must be positive', () => {
    expect(codeOf(() => Money.parse('0.00').assertPositive())).toBe('AMOUNT_NOT_POSITIVE');
  });
});

import Decimal from 'decimal.js';
import { AmountNotPositive, InvalidAmount } from './errors';

/**
 * An exact amount of CNY. Held as integer fen (bigint); parsed from and printed as decimal
 * strings. There is deliberately no way to make one from a JavaScript number.
 */
export class Money {
  /** Largest amount the ledger accepts anywhere: ¥999,999,999,999.99 (just under a trillion yuan). */
  static readonly MAX_FEN = 99_999_999_999_999n;
  static readonly ZERO = new Money(0n);

  private constructor(readonly fen: bigint) {}

  /**
   * Parses `"3000"`, `"3000.00"`, `"312.5"`. Refuses signs, exponents, more than 2 decimals,
   * blanks, thousands separators and anything over {@link MAX_FEN}.
   */
  static parse(text: unknown, field = 'amount'): Money {
    if (typeof text !== 'string') {
      throw new InvalidAmount(`${field} must be a decimal string such as "312.50", not a ${typeof text}`, field);
    }
    const match = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(text);
    if (!match) {
      const hint = /^-/.test(text)
        ? 'negative amounts are not allowed'
        : /\.\d{3,}$/.test(text)
          ? 'at most 2 decimal places (fen)'
          : 'digits with an optional "." and at most 2 decimals, e.g. "312.50"';
      throw new InvalidAmount(`${field} "${truncate(text)}" is not a valid amount: ${hint}`, field);
    }
    const fen = BigInt(match[1]) * 100n + BigInt((match[2] ?? '').padEnd(2, '0'));
    if (fen > Money.MAX_FEN) {
      throw new InvalidAmount(`${field} "${truncate(text)}" exceeds the largest accepted amount ¥999,999,999,999.99`, field);
    }
    return new Money(fen);
  }

  static fromFen(fen: bigint | number | string): Money {
    const value = BigInt(fen);
    if (value > Money.MAX_FEN * 1000n || value < -Money.MAX_FEN * 1000n) {
      throw new RangeError(`amount out of range: ${value} fen`);
    }
    return new Money(value);
  }

  static sum(amounts: Iterable<Money>): Money {
    let fen = 0n;
    for (const amount of amounts) fen += amount.fen;
    return new Money(fen);
  }

  plus(other: Money): Money {
    return new Money(this.fen + other.fen);
  }
  minus(other: Money): Money {
    return new Money(this.fen - other.fen);
  }
  times(count: number | bigint): Money {
    return new Money(this.fen * BigInt(count));
  }
  compare(other: Money): -1 | 0 | 1 {
    return this.fen < other.fen ? -1 : this.fen > other.fen ? 1 : 0;
  }
  equals(other: Money): boolean {
    return this.fen === other.fen;
  }
  isPositive(): boolean {
    return this.fen > 0n;
  }
  isZero(): boolean {
    return this.fen === 0n;
  }
  greaterThan(other: Money): boolean {
    return this.fen > other.fen;
  }

  /** Refuses zero (and below) with the rule error every amount answers to: AMOUNT_NOT_POSITIVE. */
  assertPositive(field = 'amount'): this {
    if (!this.isPositive()) throw new AmountNotPositive(`${field} must be greater than zero`, field);
    return this;
  }

  /** Yuan with exactly two decimals: `"1128875.00"`, `"-250.00"`. The storage and API form. */
  toString(): string {
    const sign = this.fen < 0n ? '-' : '';
    const abs = this.fen < 0n ? -this.fen : this.fen;
    return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
  }

  toJSON(): string {
    return this.toString();
  }

  /** Yuan with thousands separators for people: `"¥1,128,875.00"`. */
  toDisplay(): string {
    const [whole, cents] = this.toString().replace('-', '').split('.');
    return `${this.fen < 0n ? '-' : ''}¥${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${cents}`;
  }

  /**
   * 万元 (10,000 yuan) as the work report prints it: exact, without trailing zeros
   * (`112.8875`, `1996.54375`, `130.2`). 1 fen = 0.000001 万元, so this is always exact.
   */
  toWanYuan(): string {
    return new Decimal(this.fen.toString()).div(1_000_000).toFixed();
  }

  /** 万元 rounded half-up to `decimals` places, with a flag saying whether rounding changed it. */
  toWanYuanRounded(decimals: number): { value: string; rounded: boolean } {
    const exact = new Decimal(this.fen.toString()).div(1_000_000);
    const value = exact.toDecimalPlaces(decimals, Decimal.ROUND_HALF_UP);
    return { value: value.toFixed(decimals), rounded: !value.equals(exact) };
  }

  /** Reads 万元 as printed in a report (`"1996.54375"`) into exact yuan; refuses sub-fen precision. */
  static fromWanYuan(text: string, field = 'amount'): Money {
    if (!/^\d{1,9}(\.\d{1,6})?$/.test(text)) {
      throw new InvalidAmount(`${field} "${truncate(text)}" is not a valid 万元 figure`, field);
    }
    const fen = new Decimal(text).times(1_000_000);
    return new Money(BigInt(fen.toFixed(0)));
  }
}

const truncate = (text: string) => (text.length > 40 ? `${text.slice(0, 40)}…` : text);

import { DomainError } from './errors';
import { gb11643CheckCharacter, parseResidentId, parseSchoolCode, parseStudentNumber, residentIdInStudentNumber } from './identifiers';

const refusal = (fn: () => unknown) => {
  try {
    fn();
    return 'accepted';
  } catch (error) {
    return `${(error as DomainError).code}: ${(error as Error).message}`;
  }
};

describe('resident ID (GB 11643-1999)', () => {
  it.each(['11010519491231002X', '440524188001010014', '654002201001010015'])('accepts the valid example %s', (id) => {
    expect(parseResidentId(id)).toBe(id);
  });

  it('accepts a lowercase x check character as X', () => {
    expect(parseResidentId('11010519491231002x')).toBe('11010519491231002X');
  });

  it('computes the ISO 7064 MOD 11-2 check character', () => {
    expect(gb11643CheckCharacter('11010519491231002')).toBe('X');
    expect(gb11643CheckCharacter('44052418800101001')).toBe('4');
  });

  it.each([
    ['110105194912310021', /check character 1, expected X/],
    ['440524188001010015', /check character 5, expected 4/],
    ['11010519491331002X', /no valid birth date/],
    ['11010519490229002X', /no valid birth date/],
    ['1101051949123100', /17 digits/],
    ['A1010519491231002X', /17 digits/],
    ['110105491231002', /17 digits/],
  ])('refuses %s', (id, message) => {
    const result = refusal(() => parseResidentId(id));
    expect(result).toMatch(/^RESIDENT_ID_INVALID/);
    expect(result).toMatch(message);
  });
});

describe('national student number (全国学籍号)', () => {
  it('accepts G + a valid resident ID and finds the ID inside', () => {
    const number = parseStudentNumber('G11010519491231002X');
    expect(residentIdInStudentNumber(number)).toBe('11010519491231002X');
  });

  it('accepts J + an ID-style number with a valid check character', () => {
    expect(parseStudentNumber('J440524188001010014')).toBe('J440524188001010014');
    expect(residentIdInStudentNumber(parseStudentNumber('J440524188001010014'))).toBeUndefined();
  });

  it('accepts a temporary L number: region, birth date, 4 digits', () => {
    expect(parseStudentNumber('L654002201001011234')).toBe('L654002201001011234');
  });

  it.each([
    ['G110105194912310021', /check character/],
    ['J44052418800101001X', /check character/],
    ['L65400220101301123X', /L followed by 18 digits/],
    ['L654002201013011234', /birth date/],
    ['X11010519491231002X', /start with G, J or L/],
    ['G11010519491231002', /19 characters/],
  ])('refuses %s', (number, message) => {
    const result = refusal(() => parseStudentNumber(number));
    expect(result).toMatch(/^STUDENT_NUMBER_INVALID/);
    expect(result).toMatch(message);
  });
});

describe('school code (学校标识码)', () => {
  it.each(['2165000001', '3465001234', '4165010001'])('accepts %s', (code) => {
    expect(parseSchoolCode(code)).toBe(code);
  });

  it.each([
    ['216500000', /10 digits/],
    ['21650000011', /10 digits/],
    ['21650000a1', /10 digits/],
    ['0065000001', /school type/],
    ['2100000001', /province/],
  ])('refuses %s', (code, message) => {
    const result = refusal(() => parseSchoolCode(code));
    expect(result).toMatch(/^SCHOOL_CODE_INVALID/);
    expect(result).toMatch(message);
  });
});

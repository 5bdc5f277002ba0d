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
    ['110105194912310021', /check character that does not match/],
    ['440524188001010015', /check character that does not match/],
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

describe('what a refusal of an identifier says', () => {
  // A message that named the matching check character would invite "fixing" a mistyped digit by
  // changing the check character instead: a valid ID of nobody. Nor is any of the input echoed.
  it('says that the check character does not match, not which one would', () => {
    expect(refusal(() => parseResidentId('110105194912310021', 'student.residentId'))).toBe(
      'RESIDENT_ID_INVALID: student.residentId has a check character that does not match its other 17 characters: one of the 18 is wrong (compare the number with the ID document)',
    );
    expect(refusal(() => parseResidentId('440524188001010015'))).not.toMatch(/4|5|expected/);
  });

  it('says the same of G and J student numbers', () => {
    expect(refusal(() => parseStudentNumber('G110105194912310021'))).toBe(
      'STUDENT_NUMBER_INVALID: studentNumber has a check character that does not match its other characters: one of the 18 after the G is wrong (compare the number with the student register)',
    );
    expect(refusal(() => parseStudentNumber('J44052418800101001X'))).toMatch(/^STUDENT_NUMBER_INVALID: studentNumber has a check character that does not match its other characters: one of the 18 after the J is wrong/);
    expect(refusal(() => parseStudentNumber('J44052418800101001X'))).not.toMatch(/expected|4405|0101/);
  });

  it('does not echo a birth date back', () => {
    expect(refusal(() => parseResidentId('11010519491331002X'))).toBe('RESIDENT_ID_INVALID: residentId holds no valid birth date (characters 7 to 14, YYYYMMDD)');
    expect(refusal(() => parseStudentNumber('L654002201013011234'))).toBe('STUDENT_NUMBER_INVALID: studentNumber holds no valid birth date (characters 8 to 15, YYYYMMDD)');
    expect(refusal(() => parseStudentNumber('G11010519491331002X'))).toBe('STUDENT_NUMBER_INVALID: studentNumber holds no valid birth date (characters 8 to 15, YYYYMMDD)');
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

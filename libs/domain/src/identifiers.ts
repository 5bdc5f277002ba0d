import { InvalidResidentId, InvalidSchoolCode, InvalidStudentNumber } from './errors';

/**
 * Identifiers of people and schools. Each is validated once at the edge and then
 * carried as a branded string, so a function that takes a `ResidentId` cannot be handed a name.
 */
export type ResidentId = string & { readonly __brand: 'ResidentId' };
export type StudentNumber = string & { readonly __brand: 'StudentNumber' };
export type SchoolCode = string & { readonly __brand: 'SchoolCode' };

/** ISO 7064 MOD 11-2 weights of GB 11643-1999: 2^(17−i) mod 11. */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARACTERS = '10X98765432';

/** The check character for the first 17 digits of a GB 11643 number. */
export function gb11643CheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK_CHARACTERS[sum % 11];
}

function isCalendarDate(yyyymmdd: string): boolean {
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  if (year < 1800 || month < 1 || month > 12 || day < 1) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * Why an 18-character GB 11643 number is wrong, or undefined when it is valid. `offset`: where the
 * number starts in what was typed (1 after a student number's letter), to count characters by.
 *
 * A message never says which check character would match, nor echoes what was typed: told the
 * matching one, an officer who mistyped a digit could "fix" the number by changing its check
 * character — a valid number of nobody, or of another child. The check only says that one of the 18
 * characters is wrong; which one, the document says.
 */
function gb11643Problem(value: string, offset: number, document: string, after = ''): string | undefined {
  if (!/^\d{17}[\dX]$/.test(value)) return 'must be 17 digits followed by a digit or X';
  if (!isCalendarDate(value.slice(6, 14))) return `holds no valid birth date (characters ${offset + 7} to ${offset + 14}, YYYYMMDD)`;
  if (value[17] !== gb11643CheckCharacter(value.slice(0, 17))) {
    return after
      ? `has a check character that does not match its other characters: one of the 18 after the ${after} is wrong (compare the number with the ${document})`
      : `has a check character that does not match its other 17 characters: one of the 18 is wrong (compare the number with the ${document})`;
  }
  return undefined;
}

/**
 * The longest text read as a resident ID or a student number (18 or 19 characters, and spaces
 * around them, which are trimmed): anything longer is no identifier, whatever it holds, and may be
 * refused unread.
 */
export const IDENTIFIER_INPUT_MAX_LENGTH = 32;

/** An 18-character resident ID (居民身份证号, GB 11643-1999). A lowercase x is accepted as X. */
export function parseResidentId(input: unknown, field = 'residentId'): ResidentId {
  const value = typeof input === 'string' ? input.trim().toUpperCase() : '';
  const problem = typeof input !== 'string' ? 'must be a string' : gb11643Problem(value, 0, 'ID document');
  if (problem) throw new InvalidResidentId(`${field} ${problem}`, field);
  return value as ResidentId;
}

/**
 * A national student number (全国学籍号): `G` + resident ID, `J` + an ID-style number with a
 * valid check character, or a temporary `L` + region (6) + birth date (8) + 4 random digits.
 */
export function parseStudentNumber(input: unknown, field = 'studentNumber'): StudentNumber {
  const value = typeof input === 'string' ? input.trim().toUpperCase() : '';
  let problem: string | undefined;
  if (typeof input !== 'string') problem = 'must be a string';
  else if (!/^[GJL]/.test(value)) problem = 'must start with G, J or L';
  else if (value.length !== 19) problem = `must be 19 characters (a letter and 18 more), got ${value.length}`;
  else if (value[0] === 'L') {
    if (!/^L\d{18}$/.test(value)) problem = 'temporary L numbers are L followed by 18 digits';
    else if (!isCalendarDate(value.slice(7, 15))) problem = 'holds no valid birth date (characters 8 to 15, YYYYMMDD)';
  } else {
    const inner = gb11643Problem(value.slice(1), 1, 'student register', value[0]);
    if (inner) problem = inner.startsWith('must') ? `${value[0]} number ${inner}` : inner;
  }
  if (problem) throw new InvalidStudentNumber(`${field} ${problem}`, field);
  return value as StudentNumber;
}

/** The resident ID inside a `G` student number; J and L numbers carry none. */
export function residentIdInStudentNumber(number: StudentNumber): ResidentId | undefined {
  return number[0] === 'G' ? (number.slice(1) as ResidentId) : undefined;
}

/** A 10-digit school code: 2-digit type, 2-digit province, 6-digit sequence. */
export function parseSchoolCode(input: unknown, field = 'schoolCode'): SchoolCode {
  const value = typeof input === 'string' ? input.trim() : '';
  let problem: string | undefined;
  if (typeof input !== 'string' || !/^\d{10}$/.test(value)) problem = 'must be exactly 10 digits';
  else if (!/^[1-9]\d$/.test(value.slice(0, 2))) problem = `starts with an unknown school type "${value.slice(0, 2)}"`;
  else if (!/^[1-8]\d$/.test(value.slice(2, 4))) problem = `holds an unknown province code "${value.slice(2, 4)}"`;
  if (problem) throw new InvalidSchoolCode(`${field} ${problem}`, field);
  return value as SchoolCode;
}

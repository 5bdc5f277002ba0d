import { parseLocalDate } from '../calendar';
import { Program, ProgramCatalog, programNameKey } from '../catalog';
import { InvalidAmount, InvalidDate } from '../errors';
import { STAGES, Stage } from '../stages';

/**
 * The values of a payment list's cells as offices write them — `￥1,000.00`, `１０００`, `500元`,
 * `2022年10月20日`, `20221020`, a date cell, `学生`, `食堂`, a program's short name — read as the
 * ledger's values. What has one reading is accepted; what could mean two things is refused with a
 * message saying how to write it.
 */

/** A cell as a file reader gives it: text, or from a workbook a number or a date cell. */
export type ListCell = string | number | Date;

/** A workbook reader's value (exceljs: rich text, hyperlinks, formulas, errors) as a {@link ListCell}. */
export function cellValue(value: unknown): ListCell {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || value instanceof Date) return value;
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'object') {
    const object = value as { richText?: Array<{ text: string }>; text?: unknown; result?: unknown; error?: unknown };
    if (Array.isArray(object.richText)) return object.richText.map((run) => run.text).join('').trim();
    if ('text' in object) return cellValue(object.text);
    if ('result' in object) return cellValue(object.result);
    if ('error' in object) return '';
  }
  return String(value).trim();
}

/**
 * A number as Excel shows it: 15 significant digits, so a computed 312.50000000000006 is 312.5
 * (and never in exponent form for the amounts of a list).
 */
const numberText = (value: number) => {
  const rounded = Number(value.toPrecision(15));
  return Math.abs(rounded) < 1e21 ? rounded.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 }) : String(rounded);
};

/** A cell as text: numbers as Excel shows them, date cells as YYYY-MM-DD. */
export function cellText(value: unknown): string {
  const cell = cellValue(value);
  if (typeof cell === 'number') return numberText(cell);
  if (cell instanceof Date) return dateOfCell(cell);
  return cell;
}

/**
 * Text of the file quoted back in a message, cut to `max` characters with its length: a cell or a
 * header can be as long as a row, and a report quotes many.
 */
export function shortened(text: string, max = 60): string {
  if (text.length <= max) return text;
  return `${[...text].slice(0, max).join('')}… (${text.length.toLocaleString('en-US')} characters)`;
}

/** Full-width forms (１０００, ．, ，, ＡＢＣ) as their ASCII letters; the ideographic space as a space. */
export function halfWidth(text: string): string {
  if (!/[\uff01-\uff5e\u3000]/.test(text)) return text;
  return text.replace(/[\uff01-\uff5e]/g, (char) => String.fromCharCode(char.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, ' ');
}

// ---------------------------------------------------------------------------------------------
// Amounts

const CURRENCY_PREFIX = /^(?:[¥￥]|rmb|cny)/i;
const CURRENCY_SUFFIX = /(?:元整?|rmb|cny)$/i;

/**
 * An amount as a decimal string for Money.parse: `￥500.00`, `¥500`, `500元`, `1,000.00`, `１０００`,
 * a number cell. A comma that does not separate thousands (`5,00`: five hundred, or five?) is refused.
 */
export function readAmount(cell: ListCell, field = 'amount'): string {
  if (typeof cell === 'number') return numberText(cell);
  if (typeof cell === 'string' && /^\d+(?:\.\d+)?$/.test(cell)) return cell; // as the ledger writes it
  if (cell instanceof Date) throw new InvalidAmount(`${field} is a date cell, not an amount`, field);
  const text = halfWidth(cell).replace(/\s+/g, '').replace(CURRENCY_PREFIX, '').replace(CURRENCY_SUFFIX, '');
  // Not an amount at all: the parser refuses it as written.
  if (!text.includes(',')) return /^\d+(?:\.\d+)?$/.test(text) ? text : cell.trim();
  if (!/^\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(text)) {
    throw new InvalidAmount(`${field} "${shortened(cell)}" is ambiguous: a thousands separator must group three digits (1,000.00); write the amount without separators, e.g. 500.00`, field);
  }
  return text.replace(/,/g, '');
}

// ---------------------------------------------------------------------------------------------
// Dates

/**
 * Excel counts days from 1900-01-00 and, after Lotus 1-2-3, has a 29 February 1900 that never was:
 * from serial 61 (1 March 1900) on, serial n is 1899-12-30 plus n days. The ledger's dates (1990 on)
 * are all past that point. A time of day (the fraction) does not change the date.
 */
const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);
const DAY_MS = 86_400_000;

function dateOfSerial(serial: number): string {
  return new Date(EXCEL_EPOCH_MS + Math.floor(serial + 1e-9) * DAY_MS).toISOString().slice(0, 10);
}

/**
 * A date cell: its calendar date as the workbook states it. Workbook readers give the cell's serial as
 * a UTC instant, so the UTC fields are the date the cell shows, whatever the server's time zone.
 */
function dateOfCell(date: Date): string {
  return date.toISOString().slice(0, 10);
}

const DATE_FORMS = [
  /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/, // 2022-10-20, 2022/10/20, 2022.10.20 (a time after it)
  /^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$/, // 2022年10月20日
  /^(\d{4})(\d{2})(\d{2})$/, // 20221020
];

const writeDatesAs = 'write it as 2022-10-20, 2022/10/20, 2022.10.20, 20221020 or 2022年10月20日';

/**
 * A value date as YYYY-MM-DD: a date cell, an Excel serial whose cell lost its date format, or the
 * text forms of {@link DATE_FORMS}. Day-first or month-first forms (10/20/2022, 20/10/2022) and
 * two-digit years are refused: they cannot be told apart.
 */
export function readDate(cell: ListCell, field = 'valueDate'): string {
  let text: string;
  if (typeof cell === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(cell)) text = cell; // as the ledger writes it
  else if (cell instanceof Date) text = dateOfCell(cell);
  else if (typeof cell === 'number') {
    if (Number.isInteger(cell) && cell >= 19_900_101 && cell <= 22_001_231) text = String(cell).replace(/^(\d{4})(\d{2})(\d{2})$/, '$1-$2-$3');
    else if (cell >= 32_874 && cell < 109_575) text = dateOfSerial(cell); // 1990-01-01 … 2200-12-31
    else throw new InvalidDate(`${field} ${cell} is a number, not a date: ${writeDatesAs}`, field);
  } else {
    const value = halfWidth(cell).replace(/\s+(?=[年月日号])|(?<=[年月])\s+/g, '');
    let parts: string[] | undefined;
    for (const form of DATE_FORMS) {
      const match = form.exec(value);
      if (match) {
        parts = match.length === 5 ? [match[1], match[3], match[4]] : [match[1], match[2], match[3]];
        break;
      }
    }
    if (!parts) throw new InvalidDate(`${field} "${shortened(cell)}" is not a date that reads one way only: ${writeDatesAs}`, field);
    text = `${parts[0]}-${parts[1].padStart(2, '0')}-${parts[2].padStart(2, '0')}`;
  }
  return parseLocalDate(text, field);
}

// ---------------------------------------------------------------------------------------------
// Stages, periods, payees, programs

const STAGE_NAMES: Record<string, Stage> = {
  学前: 'preschool', 学前教育: 'preschool', 幼儿园: 'preschool', 小学: 'primary', 初中: 'junior', 高中: 'senior', 普通高中: 'senior',
  中职: 'secondary_vocational', 中等职业教育: 'secondary_vocational', 高职: 'higher_vocational', 专科: 'higher_vocational', 高职专科: 'higher_vocational',
  本科: 'undergraduate', 研究生: 'postgraduate',
};

export function readStage(value: string): string {
  const trimmed = halfWidth(value).trim();
  return STAGE_NAMES[trimmed] ?? (STAGES.includes(trimmed.toLowerCase() as Stage) ? trimmed.toLowerCase() : trimmed);
}

/** `2022-autumn`, `2022秋`, `2022年秋季学期`, `2023春`, `2022-2023`, `2022-2023学年` … */
export function readPeriod(value: string): string {
  const trimmed = halfWidth(value).trim();
  const season = /^(\d{4})\s*年?\s*(秋|春)/.exec(trimmed);
  if (season) return `${season[1]}-${season[2] === '秋' ? 'autumn' : 'spring'}`;
  const year = /^(\d{4})\s*[-—–~至]\s*(\d{4})\s*(学年)?$/.exec(trimmed);
  if (year) return `${year[1]}-${year[2]}`;
  return trimmed;
}

/** Who is paid, as lists write it (收款方类型). */
const PAYEE_WORDS: Record<string, string> = {
  学生: 'student', 学生本人: 'student', 本人: 'student', 个人: 'student', 受助学生: 'student',
  食堂: 'canteen', 学校食堂: 'canteen', 供餐单位: 'canteen',
  学校: 'school', 学校账户: 'school', 幼儿园: 'school',
  高校: 'university_fee_account', 高校学费账户: 'university_fee_account', 高校账户: 'university_fee_account', 学费账户: 'university_fee_account', 高校学费专户: 'university_fee_account',
};

export function readPayeeType(value: string): string {
  const trimmed = halfWidth(value).replace(/\s+/g, '');
  return PAYEE_WORDS[trimmed] ?? trimmed.toLowerCase();
}

/** Every way a list may name a program — code, Chinese and English names, short names — to the program. */
export function programNames(program: Program): string[] {
  return [program.code, program.name.zh, program.name.en, ...program.aliases].map(programNameKey);
}

const namesOfCatalog = new WeakMap<ProgramCatalog, Map<string, Program>>();

/** The program a list names by its code, its Chinese or English name or one of its short names (`aliases`). */
export function findProgram(value: string, catalog: ProgramCatalog): Program | undefined {
  let names = namesOfCatalog.get(catalog);
  if (!names) {
    names = new Map();
    // The catalog refuses at load a name that could mean two programs: the first one is the only one.
    for (const program of catalog.programs) for (const name of programNames(program)) if (!names.has(name)) names.set(name, program);
    namesOfCatalog.set(catalog, names);
  }
  return names.get(programNameKey(value));
}

/** A program code, or the name or a short name of a program in the catalog; else the text as written. */
export function readProgram(value: string, catalog: ProgramCatalog): string {
  return findProgram(value, catalog)?.code ?? value.trim();
}

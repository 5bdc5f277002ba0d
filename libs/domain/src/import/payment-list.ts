import { redactForGood } from '../privacy';
import { DomainError, ImportRowTooManyCells } from '../errors';
import { parseFreeText } from '../text';
import { halfWidth, shortened } from './cell-values';

/**
 * Payment lists (CSV or XLSX from a bank or a school): how their columns map to a payment, and how
 * the Chinese forms found in such lists (学段 小学, 学期 2022年秋季, 项目 雨露计划) read as the ledger's
 * values. The checks of each row are the write path's own (parseRecordDisbursement and the decider).
 */
export const IMPORT_FIELDS = [
  'name', 'residentId', 'studentNumber', 'schoolCode', 'stage', 'programCode', 'period', 'amount',
  'valueDate', 'payeeType', 'payeeName', 'account', 'disbursementId', 'fundingSource',
] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];
export type ColumnMapping = Record<ImportField, string[]>;

/** A header as matched: no spaces or line breaks, half-width, any case, without a "required" mark (*姓名, ※金额). */
const normalise = (header: string) => halfWidth(header).replace(/\s+/g, '').replace(/^[*※]+/, '').toLowerCase();

export function parseColumnMapping(raw: unknown): ColumnMapping {
  const columns = (raw as { columns?: Record<string, unknown> })?.columns;
  if (!columns || typeof columns !== 'object') throw new DomainError('IMPORT_MAPPING_INVALID', 'invalid', 'the column mapping needs a "columns" map');
  const mapping = {} as ColumnMapping;
  for (const field of IMPORT_FIELDS) {
    const headers = columns[field] ?? [];
    if (!Array.isArray(headers) || headers.some((header) => typeof header !== 'string')) {
      throw new DomainError('IMPORT_MAPPING_INVALID', 'invalid', `columns.${field} must be a list of headers`, `columns.${field}`);
    }
    mapping[field] = (headers as string[]).map(normalise);
  }
  return mapping;
}

export const REQUIRED_IMPORT_FIELDS: readonly ImportField[] = ['schoolCode', 'stage', 'programCode', 'period', 'amount', 'valueDate'];

export interface ListColumns {
  /** For each field, the index of the column that feeds it. */
  columns: Partial<Record<ImportField, number>>;
  /** For each field, its header as the file writes it (to name the column of a problem). */
  headerOf: Partial<Record<ImportField, string>>;
  /** The fields a payment needs that no column feeds (`residentId` standing for "an identity"). */
  missing: ImportField[];
}

/** Which columns of a row of headers feed which fields; `missing` says what a header row would still need. */
export function matchHeaders(headers: readonly unknown[], mapping: ColumnMapping): ListColumns {
  const texts = headers.map((header) => (typeof header === 'string' ? header : header == null ? '' : String(header)));
  const normalised = texts.map(normalise);
  const columns: Partial<Record<ImportField, number>> = {};
  const headerOf: Partial<Record<ImportField, string>> = {};
  for (const field of IMPORT_FIELDS) {
    for (const candidate of mapping[field]) {
      const index = normalised.indexOf(candidate);
      if (index >= 0) {
        columns[field] = index;
        headerOf[field] = texts[index];
        break;
      }
    }
  }
  const missing = REQUIRED_IMPORT_FIELDS.filter((field) => columns[field] === undefined);
  if (columns.residentId === undefined && columns.studentNumber === undefined) missing.push('residentId');
  return { columns, headerOf, missing };
}

/** For each field, the index of the column that feeds it (from the file's header row); refuses a row missing any. */
export function resolveColumns(headers: string[], mapping: ColumnMapping): { columns: Partial<Record<ImportField, number>>; headerOf: Partial<Record<ImportField, string>> } {
  const { columns, headerOf, missing } = matchHeaders(headers, mapping);
  if (missing.length > 0) throw missingColumns(missing, headers, mapping);
  return { columns, headerOf };
}

/** How many of a row's headers a refusal quotes, and how much of each. */
const HEADERS_QUOTED = 10;
const HEADER_QUOTED_CHARACTERS = 40;

/**
 * The refusal of a file without the columns a payment needs, naming them by the headers it could have
 * (学段, 金额 …), and quoting the row most like a header — its first headers, each shortened: a
 * garbage file's "header" can be the whole file.
 */
export function missingColumns(missing: readonly ImportField[], headers: readonly unknown[], mapping: ColumnMapping, where = 'the file'): DomainError {
  const headerFor = (field: ImportField) => `${mapping[field][0] ?? field} (${field})`;
  const named = missing.map((field) => (field === 'residentId' ? `${headerFor('residentId')} or ${headerFor('studentNumber')}` : headerFor(field)));
  const shown = headers.map((header) => String(header ?? '')).filter((header) => header !== '');
  const quoted = shown.slice(0, HEADERS_QUOTED).map((header) => shortened(header, HEADER_QUOTED_CHARACTERS));
  const more = shown.length > HEADERS_QUOTED ? ` (and ${shown.length - HEADERS_QUOTED} more)` : '';
  return new DomainError('IMPORT_COLUMNS_MISSING', 'invalid', `${where} has no column for ${named.join(', ')} (its headers: ${quoted.join(', ') || 'none'}${more})`, 'file');
}

/** A title, a note or a blank line above the header: the header is looked for in this many rows. */
export const HEADER_SEARCH_ROWS = 20;

/**
 * The 合计 (total) or 小计 row of a list, not a payment: a row that says so in its first written cell
 * and names no student. Its amount is checked against the rows' sum.
 */
export function isTotalRow(cells: readonly unknown[], columns: Partial<Record<ImportField, number>>): boolean {
  const label = cells.findIndex((cell) => (typeof cell === 'string' ? cell.trim() !== '' : cell !== null && cell !== undefined));
  if (label < 0 || typeof cells[label] !== 'string' || !/^\s*(合\s*计|总\s*计|小\s*计)/.test(cells[label] as string)) return false;
  const named = (field: ImportField) => columns[field] !== undefined && columns[field] !== label && String(cells[columns[field]!] ?? '').trim() !== '';
  return !named('residentId') && !named('studentNumber');
}

/**
 * A CSV row with more cells than its header: a comma inside a cell that is not in quotes (an amount
 * written 5,00) has split that cell and moved every cell after it one column on, so no cell after it
 * can be read as its header says. Reported as that, and none of its fields guessed at. Extra cells
 * that are empty may be a comma too many at the end of the line; they are refused all the same: a
 * split amount before an empty last column looks just like it, and reads as a smaller amount.
 */
export function rowWiderThanHeader(cells: readonly unknown[], headerCells: number, row: number): { code: string; message: string } | undefined {
  if (cells.length <= headerCells) return undefined;
  const extraEmpty = cells.slice(headerCells).every((cell) => cell === '' || cell === null || cell === undefined);
  return {
    code: ImportRowTooManyCells.code,
    message:
      `row ${row} has ${cells.length} cells, the header ${headerCells}: a comma inside a cell that is not in quotes (5,00 or 1,000.00) splits it in two ` +
      `and moves the cells after it${extraEmpty ? ', or the line ends with a comma too many' : ''}; put such a cell in quotes ("1,000.00") or write it without the comma`,
  };
}

/** True when a row has nothing written in it. */
export const isBlankRow = (cells: readonly unknown[]) => cells.every((cell) => cell === null || cell === undefined || (typeof cell === 'string' && cell.trim() === ''));

export { cellText, cellValue, findProgram, readAmount, readDate, readPayeeType, readPeriod, readProgram, readStage, shortened } from './cell-values';
export type { ListCell } from './cell-values';
export * from './payment-row';

/** The longest file name most file systems allow; a longer one was not a real file's name. */
export const IMPORT_FILE_NAME_MAX_LENGTH = 255;

/**
 * The name of an imported file, recorded in the log with its batch for ever: one line of text, as
 * any free text (no control characters, no bidirectional overrides that would make it display
 * otherwise than it reads), no longer than a file system allows. Refused on the upload's field, `file`.
 */
export function parseImportFileName(name: unknown): string {
  try {
    // Kept for good, past any erasure: whatever the redaction recognises as personal data (a list named
    // after a student: `张伟（654002…）补发.xlsx`) is taken out.
    return redactForGood(parseFreeText(name, 'the file name', { maxLength: IMPORT_FILE_NAME_MAX_LENGTH }));
  } catch (error) {
    if (error instanceof DomainError) throw new DomainError('FIELD_INVALID', 'invalid', error.message, 'file');
    throw error;
  }
}

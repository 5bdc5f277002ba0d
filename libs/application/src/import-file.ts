import { CsvError, parse as parseCsv } from 'csv-parse';
import ExcelJS from 'exceljs';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { Transform } from 'node:stream';
import { ImportFileEncoding, ImportFileUnreadable, ListCell, cellValue } from '@ledger/domain';

/**
 * Reading a payment list file as it arrives: its hash and, for a CSV, its encoding (one pass), then
 * its rows. A file that is not what its name says — a CSV renamed .xlsx, a workbook renamed .csv,
 * a broken quote, UTF-16 text — is refused with a message naming the problem (and the line).
 */

export type ImportFormat = 'csv' | 'xlsx';

/** How a CSV's bytes were read as text: UTF-8 (with or without a byte-order mark) or GB18030, of which GBK is a part. */
export type CsvEncoding = 'utf-8' | 'utf-8 (BOM)' | 'gb18030';

export interface ListRow {
  /** The row's number in its sheet or file, as Excel shows it (1 for the first line). */
  row: number;
  cells: ListCell[];
}

export interface ListSheet {
  name: string;
  rows: AsyncIterable<ListRow>;
}

const SAVE_AS_UTF8 = 'open it in Excel and save it as "CSV UTF-8 (逗号分隔)(*.csv)", or as .xlsx';

/** What the first bytes say a file is, when it is not the text or workbook it should be. */
function sniff(head: Buffer): 'xlsx' | 'xls' | 'utf-16' | 'utf-8-bom' | undefined {
  if (head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) return 'xlsx';
  if (head.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]))) return 'xls';
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return 'utf-16';
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8-bom';
  return undefined;
}

/**
 * The file's SHA-256 and, for a CSV, the encoding its bytes are valid in: UTF-8 when they are (with
 * or without a BOM), else GB18030 (what Chinese Excel writes: GBK is its two-byte part); anything
 * else is refused with what to do. One streamed pass.
 */
export async function inspectListFile(path: string, format: ImportFormat, fileName: string): Promise<{ sha256: string; encoding?: CsvEncoding }> {
  const hash = createHash('sha256');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const gb18030 = new TextDecoder('gb18030', { fatal: true });
  let validUtf8 = format === 'csv';
  let validGb18030 = format === 'csv';
  let nul = false;
  let head: Buffer | undefined;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    head ??= chunk.subarray(0, 8);
    if (format !== 'csv') continue;
    if (!nul && chunk.includes(0)) nul = true;
    // Both decoders see every byte while they can: GB18030 is the answer only where UTF-8 fails.
    if (validUtf8) {
      try {
        utf8.decode(chunk, { stream: true });
      } catch {
        validUtf8 = false;
      }
    }
    if (validGb18030) {
      try {
        gb18030.decode(chunk, { stream: true });
      } catch {
        validGb18030 = false;
      }
    }
  }
  const sha256 = hash.digest('hex');
  const kind = sniff(head ?? Buffer.alloc(0));
  if (format === 'xlsx') {
    if (kind === 'xlsx') return { sha256 };
    const what = kind === 'xls' ? 'an Excel 97–2003 (.xls) workbook: save it as .xlsx' : head?.length ? 'not an XLSX workbook (an .xlsx file is a zip archive; this one is not)' : 'empty: not an XLSX workbook';
    throw new ImportFileUnreadable(`${fileName} is ${what}`, 'file');
  }
  if (kind === 'xlsx') throw new ImportFileUnreadable(`${fileName} is an XLSX workbook, not CSV text: name it .xlsx`, 'file');
  if (kind === 'xls') throw new ImportFileUnreadable(`${fileName} is an Excel 97–2003 (.xls) workbook, not CSV text: save it as .xlsx or as CSV`, 'file');
  if (kind === 'utf-16') throw new ImportFileEncoding(`${fileName} is UTF-16 text ("Unicode text"), which is not read: ${SAVE_AS_UTF8}`, 'file');
  try {
    if (validUtf8) utf8.decode();
  } catch {
    validUtf8 = false; // ends inside a character
  }
  try {
    if (validGb18030) gb18030.decode();
  } catch {
    validGb18030 = false;
  }
  if (nul) throw new ImportFileUnreadable(`${fileName} is not CSV text (it holds binary data): ${SAVE_AS_UTF8}`, 'file');
  if (validUtf8) return { sha256, encoding: kind === 'utf-8-bom' ? 'utf-8 (BOM)' : 'utf-8' };
  if (validGb18030) return { sha256, encoding: 'gb18030' };
  throw new ImportFileEncoding(`${fileName} is neither UTF-8 nor GBK/GB18030 text: ${SAVE_AS_UTF8}`, 'file');
}

/**
 * The longest CSV row read, in bytes of UTF-8 (64 KiB): a payment list's rows are a few hundred. A file
 * without line breaks (or garbage) would otherwise be held whole as one row, and quoted back whole.
 */
export const MAX_CSV_ROW_BYTES = 65_536;

/** Why csv-parse stopped, in the words of someone who made the file in Excel or a text editor. */
function csvProblem(error: CsvError): string {
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      // The quote opened in the record after the last one read (csv-parse reports the end of the file).
      return `line ${Number(error.records ?? 0) + 1}: a quoted cell starts here and its closing quote (") is missing`;
    case 'INVALID_OPENING_QUOTE':
      return `line ${error.lines}: a quote (") inside a cell that does not start with one; quote the whole cell and double the quote ("")`;
    case 'CSV_INVALID_CLOSING_QUOTE':
      return `line ${error.lines}: text after the closing quote (") of a quoted cell`;
    case 'CSV_MAX_RECORD_SIZE':
      return `line ${error.lines}: more than 64 KiB in one row, which no payment list has (a file without line breaks, or not a list)`;
    default:
      return `line ${error.lines}: ${error.message}`;
  }
}

/** The records of a CSV in its encoding, numbered as Excel numbers its rows (blank lines included). */
export async function* csvRows(path: string, encoding: CsvEncoding, fileName: string): AsyncGenerator<ListRow> {
  let source: NodeJS.ReadableStream = createReadStream(path);
  if (encoding === 'gb18030') {
    const decoder = new TextDecoder('gb18030');
    source = source.pipe(
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          done(null, Buffer.from(decoder.decode(chunk, { stream: true }), 'utf8'));
        },
        flush(done) {
          done(null, Buffer.from(decoder.decode(), 'utf8'));
        },
      }),
    );
  }
  // Empty lines are skipped by the parser (each one kept costs csv-parse an error object: a file of
  // newlines took minutes) and counted, so that a record's number is still its row in Excel.
  const parser = source.pipe(parseCsv({ bom: true, relax_column_count: true, skip_empty_lines: true, trim: true, info: true, max_record_size: MAX_CSV_ROW_BYTES }));
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { records: number; empty_lines: number } }>) {
      yield { row: info.records + info.empty_lines, cells: record };
    }
  } catch (error) {
    if (error instanceof CsvError) throw new ImportFileUnreadable(`${fileName}: not a readable CSV: ${csvProblem(error)}`, 'file');
    throw error;
  }
}

/**
 * Where a zip archive's central directory says it is, if the end-of-central-directory record is
 * there: a workbook cut short (an upload broken off) has none.
 */
function hasZipDirectory(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(Math.min(size, 22 + 65_535));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    for (let at = tail.length - 22; at >= 0; at--) {
      if (tail.readUInt32LE(at) !== 0x06054b50) continue;
      const directorySize = tail.readUInt32LE(at + 12);
      const directoryOffset = tail.readUInt32LE(at + 16);
      return directoryOffset + directorySize <= size - tail.length + at;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/** How long a workbook's reader may go without a row once the whole file is read, before it counts as stuck. */
const STALL_MS = 5_000;

/**
 * The visible sheets of a workbook, in the file's order, each with its rows (date cells as dates).
 * A damaged workbook can leave the streaming reader waiting for data that never comes: once the
 * file is read to its end, a reader that yields nothing for {@link STALL_MS} is a damaged file.
 */
export async function* workbookSheets(path: string, fileName: string): AsyncGenerator<ListSheet> {
  const unreadable = (error: unknown) => new ImportFileUnreadable(`${fileName}: not a readable XLSX workbook (${(error as Error).message})`, 'file');
  if (!hasZipDirectory(path)) throw new ImportFileUnreadable(`${fileName}: not a readable XLSX workbook (it ends before its table of contents: cut short?)`, 'file');
  const input = createReadStream(path);
  let inputEnded = false;
  input.once('end', () => (inputEnded = true));
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, { sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'cache', worksheets: 'emit' });
  let lastProgress = Date.now();
  const guarded = async <T>(next: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      const check = () => {
        if (inputEnded && Date.now() - lastProgress > STALL_MS) reject(unreadable(new Error('its contents stop before they are complete')));
        else timer = setTimeout(check, 250);
      };
      timer = setTimeout(check, 250);
    });
    try {
      return await Promise.race([next, stalled]);
    } catch (error) {
      input.destroy();
      throw error instanceof ImportFileUnreadable ? error : unreadable(error);
    } finally {
      clearTimeout(timer);
      lastProgress = Date.now();
    }
  };
  let sheets = 0;
  const iterator = reader[Symbol.asyncIterator]();
  for (;;) {
    const next = await guarded(iterator.next());
    if (next.done) break;
    const sheet = next.value as ExcelJS.stream.xlsx.WorksheetReader & { name: string; state?: string };
    sheets++;
    const rows = async function* (): AsyncGenerator<ListRow> {
      const rowIterator = sheet[Symbol.asyncIterator]();
      for (;;) {
        const row = await guarded(rowIterator.next());
        if (row.done) return;
        yield { row: row.value.number, cells: rowCells(row.value) };
      }
    };
    // A hidden sheet holds a template's lookup lists, not payments.
    if (sheet.state === 'hidden' || sheet.state === 'veryHidden') {
      for await (const _ of rows());
      continue;
    }
    yield { name: sheet.name, rows: rows() };
  }
  if (sheets === 0) throw new ImportFileUnreadable(`${fileName} is not an XLSX workbook: it has no worksheets`, 'file');
}

/** A formula's numeric result in a date-formatted cell is a date too (Excel serial, 1900 system). */
const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);

function rowCells(row: ExcelJS.Row): ListCell[] {
  const cells: ListCell[] = [];
  row.eachCell({ includeEmpty: false }, (cell, column) => {
    const value = cell.value as { formula?: unknown; result?: unknown } | null;
    if (value && typeof value === 'object' && 'formula' in value && typeof value.result === 'number' && isDateFormat(cell.numFmt)) {
      cells[column - 1] = new Date(EXCEL_EPOCH_MS + Math.round(value.result * 86_400_000));
    } else cells[column - 1] = cellValue(value);
  });
  for (let i = 0; i < cells.length; i++) if (cells[i] === undefined) cells[i] = '';
  return cells;
}

const isDateFormat = (format: string | undefined) => !!format && /[dmy]/i.test(format.replace(/"[^"]*"|\[[^\]]*\]|\\./g, ''));

import { ProgramCatalog } from '../catalog';
import { DomainError } from '../errors';
import { STAGES, Stage } from '../stages';

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

const normalise = (header: string) => header.replace(/\s+/g, '').toLowerCase();

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

/** For each field, the index of the column that feeds it (from the file's header row). */
export function resolveColumns(headers: string[], mapping: ColumnMapping): { columns: Partial<Record<ImportField, number>>; headerOf: Partial<Record<ImportField, string>> } {
  const normalised = headers.map((header) => normalise(String(header ?? '')));
  const columns: Partial<Record<ImportField, number>> = {};
  const headerOf: Partial<Record<ImportField, string>> = {};
  for (const field of IMPORT_FIELDS) {
    for (const candidate of mapping[field]) {
      const index = normalised.indexOf(candidate);
      if (index >= 0) {
        columns[field] = index;
        headerOf[field] = headers[index];
        break;
      }
    }
  }
  const required: ImportField[] = ['schoolCode', 'stage', 'programCode', 'period', 'amount', 'valueDate'];
  const missing = required.filter((field) => columns[field] === undefined);
  if (columns.residentId === undefined && columns.studentNumber === undefined) missing.push('residentId');
  if (missing.length > 0) {
    throw new DomainError('IMPORT_COLUMNS_MISSING', 'invalid', `the file has no column for ${missing.join(', ')} (headers: ${headers.join(', ')})`, 'file');
  }
  return { columns, headerOf };
}

const STAGE_NAMES: Record<string, Stage> = {
  学前: 'preschool', 幼儿园: 'preschool', 小学: 'primary', 初中: 'junior', 高中: 'senior', 普通高中: 'senior',
  中职: 'secondary_vocational', 高职: 'higher_vocational', 专科: 'higher_vocational', 本科: 'undergraduate', 研究生: 'postgraduate',
};

export function readStage(value: string): string {
  const trimmed = value.trim();
  return STAGE_NAMES[trimmed] ?? (STAGES.includes(trimmed.toLowerCase() as Stage) ? trimmed.toLowerCase() : trimmed);
}

/** `2022-autumn`, `2022秋`, `2022年秋季学期`, `2023春`, `2022-2023`, `2022-2023学年` … */
export function readPeriod(value: string): string {
  const trimmed = value.trim();
  const season = /^(\d{4})\s*年?\s*(秋|春)/.exec(trimmed);
  if (season) return `${season[1]}-${season[2] === '秋' ? 'autumn' : 'spring'}`;
  const year = /^(\d{4})\s*[-—–至]\s*(\d{4})\s*(学年)?$/.exec(trimmed);
  if (year) return `${year[1]}-${year[2]}`;
  return trimmed;
}

/** A program code, or the Chinese or English name of a program in the catalog. */
export function readProgram(value: string, catalog: ProgramCatalog): string {
  const trimmed = value.trim();
  if (catalog.program(trimmed)) return trimmed;
  const match = catalog.programs.find((program) => program.name.zh === trimmed || program.name.en.toLowerCase() === trimmed.toLowerCase());
  return match?.code ?? trimmed;
}

/** A cell as text: dates as YYYY-MM-DD, numbers as written (amounts must be text with ≤ 2 decimals). */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'object' && 'text' in (value as object)) return String((value as { text: unknown }).text);
  if (typeof value === 'object' && 'result' in (value as object)) return cellText((value as { result: unknown }).result);
  return String(value).trim();
}

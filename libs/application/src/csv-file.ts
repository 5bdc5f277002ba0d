import { Input, Options, stringify } from 'csv-stringify/sync';

/**
 * A CSV as the ledger writes every one (downloads and the CLI's files): UTF-8 that starts with a
 * byte-order mark. Excel reads a CSV as UTF-8 only when it has one; without it, Chinese Excel reads
 * the bytes as GBK and shows 姓名 as mojibake.
 */
export function csvForExcel(records: Input, options: Options = {}): string {
  return stringify(records, { ...options, bom: true });
}

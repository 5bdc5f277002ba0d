import ExcelJS from 'exceljs';
import { writeFileSync } from 'node:fs';
import { residentId, schoolCode } from './students';

/** Payment lists as a bank or a school would send them: Chinese headers, one payment a row. */
export const HEADERS = ['姓名', '身份证号', '学校标识码', '学段', '项目', '学期/学年', '金额', '发放日期'];

export type ListRow = string[];

/** Row i: a boarding subsidy, a Yulu grant or a nutrition payment, in turn. */
export function paymentRow(i: number, first = 0): ListRow {
  const n = first + i;
  switch (i % 3) {
    case 0:
      return [`学生${n}`, residentId(n, 2011), schoolCode('21', 1 + (n % 9)), '小学', '家庭经济困难寄宿生生活补助', '2022年秋季', '500.00', '2022-10-20'];
    case 1:
      return [`学生${n}`, residentId(n, 2005), schoolCode('36', 1 + (n % 3)), '中职', '雨露计划', '2022-2023学年', '3000', '2022-10-15'];
    default:
      return [`学生${n}`, residentId(n, 2012), schoolCode('21', 1 + (n % 9)), '小学', 'NUTRITION_IMPROVEMENT', '2022秋', '480.50', '2022-12-20'];
  }
}

export function writeCsv(path: string, rows: ListRow[], headers = HEADERS) {
  const quote = (cell: string) => (/[",\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);
  writeFileSync(path, [headers, ...rows].map((row) => row.map(quote).join(',')).join('\n') + '\n');
}

export async function writeXlsx(path: string, rows: ListRow[], headers = HEADERS) {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('发放名单');
  sheet.addRow(headers);
  for (const row of rows) sheet.addRow(row);
  await workbook.xlsx.writeFile(path);
}

/** A cell of a workbook written by {@link writeWorkbook}: a value, or a value with an Excel number format (dates). */
export type WorkbookCell = string | number | Date | null | { value: string | number | Date; numFmt: string };

/** A workbook as offices make them: several sheets, title rows, real date cells with their formats. */
export async function writeWorkbook(path: string, sheets: Array<{ name: string; rows: WorkbookCell[][] }>) {
  const workbook = new ExcelJS.Workbook();
  for (const { name, rows } of sheets) {
    const sheet = workbook.addWorksheet(name);
    for (const cells of rows) {
      const row = sheet.addRow(cells.map((cell) => (cell !== null && typeof cell === 'object' && !(cell instanceof Date) ? cell.value : cell)));
      cells.forEach((cell, i) => {
        if (cell !== null && typeof cell === 'object' && !(cell instanceof Date)) row.getCell(i + 1).numFmt = cell.numFmt;
      });
    }
  }
  await workbook.xlsx.writeFile(path);
}

let gbkCodes: Map<string, number[]> | undefined;

/**
 * The GBK bytes of a text, as Chinese Excel saves a CSV. Node has a GBK decoder but no encoder:
 * the table is the decoder's, read backwards (every two-byte GBK code, decoded once).
 */
export function gbk(text: string): Buffer {
  if (!gbkCodes) {
    gbkCodes = new Map();
    const decoder = new TextDecoder('gbk', { fatal: true });
    for (let lead = 0x81; lead <= 0xfe; lead++) {
      for (let trail = 0x40; trail <= 0xfe; trail++) {
        if (trail === 0x7f) continue;
        try {
          const char = decoder.decode(Uint8Array.of(lead, trail));
          if (char.length === 1 && !gbkCodes.has(char)) gbkCodes.set(char, [lead, trail]);
        } catch {
          // not a GBK code
        }
      }
    }
  }
  const bytes: number[] = [];
  for (const char of text) {
    if (char.charCodeAt(0) < 0x80) bytes.push(char.charCodeAt(0));
    else {
      const code = gbkCodes.get(char);
      if (!code) throw new Error(`no GBK code for ${char}`);
      bytes.push(...code);
    }
  }
  return Buffer.from(bytes);
}

/** The lines of a CSV (header first) as one text, cells quoted where needed. */
export function csvText(rows: ListRow[], headers: string[] = HEADERS): string {
  const quote = (cell: string) => (/[",\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);
  return [headers, ...rows].map((row) => row.map(quote).join(',')).join('\r\n') + '\r\n';
}

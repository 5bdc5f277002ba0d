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

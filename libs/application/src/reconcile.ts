import type Database from 'better-sqlite3';
import ExcelJS from 'exceljs';
import { stringify } from 'csv-stringify/sync';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConsistencyFinding, DeclaredLine, DeclaredReport, Money, ProgramCatalog, ReportError, checkReportConsistency, parseDeclaredReport } from '@ledger/domain';
import { queryLedgerFigures } from '@ledger/projections';

/**
 * Reconciliation: every line of a declared report against the ledger — count, amount, difference,
 * status and the reasons for a difference — and the report against itself.
 */
export type LineStatus = 'agrees' | 'differs' | 'meets_at_least' | 'below_at_least' | 'not_in_ledger';

export interface ReconciledLine {
  lineId: string;
  text: string;
  programs: string[];
  basis: string;
  window: string;
  declared: { count?: number; unit?: string; countAtLeast?: boolean; amountYuan?: string; amountWanYuan?: string; amountAtLeast?: boolean };
  ledger?: { persons: number; personTimes: number; amountYuan: string; amountWanYuan: string };
  difference?: { count?: number; amountYuan?: string; amountWanYuan?: string };
  status: LineStatus;
  reasons: string[];
}

export interface Reconciliation {
  report: { id: string; title: { zh: string; en: string }; published: string };
  lines: ReconciledLine[];
  consistency: ConsistencyFinding[];
  summary: Record<LineStatus, number>;
}

export function loadDeclaredReports(dir: string, catalog: ProgramCatalog): DeclaredReport[] {
  return readdirSync(dir)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort()
    .map((file) => {
      try {
        return parseDeclaredReport(parse(readFileSync(join(dir, file), 'utf8')), catalog);
      } catch (error) {
        if (error instanceof ReportError) throw new Error(`${join(dir, file)}: ${error.message}`);
        throw error;
      }
    });
}

function windowOf(line: DeclaredLine): { from?: string; to?: string; text: string } {
  const from = line.since ?? (line.fiscalYear ? `${line.fiscalYear}-01-01` : undefined);
  const to = line.asOf ?? (line.fiscalYear && !line.since ? `${line.fiscalYear}-12-31` : undefined);
  const text = line.since ? `value dates from ${line.since}` : line.asOf ? `fiscal year ${line.fiscalYear} to ${line.asOf}` : `fiscal year ${line.fiscalYear}`;
  return { ...(from && { from }), ...(to && { to }), text };
}

export function reconcile(report: DeclaredReport, catalog: ProgramCatalog, db: Database.Database): Reconciliation {
  const consistency = checkReportConsistency(report, catalog);
  const lines = report.lines.map((line): ReconciledLine => {
    const window = windowOf(line);
    const declared = {
      ...(line.count && { count: line.count.value, unit: line.count.unit, countAtLeast: line.count.atLeast }),
      ...(line.amount && { amountYuan: line.amount.yuan.toString(), amountWanYuan: line.amount.printed, amountAtLeast: line.amount.atLeast }),
    };
    const base = { lineId: line.id, text: line.text, programs: line.programs, basis: line.basis, window: window.text, declared };
    if (line.programs.length === 0) {
      return { ...base, status: 'not_in_ledger', reasons: ['not student aid paid to students: school finance is not recorded in the ledger'] };
    }
    const figures = queryLedgerFigures(db, { programs: line.programs, basis: line.basis, ...(window.from && { from: window.from }), ...(window.to && { to: window.to }) });
    const ledgerCount = line.count?.unit === 'person_times' ? figures.personTimes : figures.persons;
    const countDifference = line.count ? ledgerCount - line.count.value : undefined;
    const amountDifference = line.amount ? figures.amount.minus(line.amount.yuan) : undefined;
    const atLeast = Boolean(line.count?.atLeast || line.amount?.atLeast);
    const agrees = (countDifference ?? 0) === 0 && (amountDifference?.isZero() ?? true);
    const status: LineStatus = atLeast
      ? (countDifference ?? 0) >= 0 && (amountDifference?.fen ?? 0n) >= 0n
        ? 'meets_at_least'
        : 'below_at_least'
      : agrees
        ? 'agrees'
        : 'differs';
    const reasons: string[] = [];
    if (status !== 'agrees') {
      if (atLeast) reasons.push('the report gives a lower bound ("余"), not an exact figure');
      for (const finding of consistency.filter((f) => f.lineId === line.id && !f.ok)) reasons.push(`the report itself: ${finding.detail}`);
      if (line.basis === 'approved') reasons.push('approved (拟享受) figures: what was promised, compared with the ledger’s approvals');
      if (!line.amount) reasons.push('the report gives no amount');
      if (countDifference) reasons.push(`the ledger has ${Math.abs(countDifference)} ${line.count!.unit === 'persons' ? 'persons' : 'person-times'} ${countDifference > 0 ? 'more' : 'fewer'}`);
      if (amountDifference && !amountDifference.isZero()) {
        reasons.push(`the ledger has ¥${Money.fromFen(amountDifference.fen < 0n ? -amountDifference.fen : amountDifference.fen)} ${amountDifference.fen > 0n ? 'more' : 'less'}`);
      }
      if (line.programs.length > 1) reasons.push('a headline over several programs, at a date: its scope is not the listed lines');
    }
    return {
      ...base,
      ledger: { persons: figures.persons, personTimes: figures.personTimes, amountYuan: figures.amount.toString(), amountWanYuan: figures.amount.toWanYuan() },
      ...((countDifference !== undefined || amountDifference) && {
        difference: {
          ...(countDifference !== undefined && { count: countDifference }),
          ...(amountDifference && { amountYuan: amountDifference.toString(), amountWanYuan: amountDifference.toWanYuan() }),
        },
      }),
      status,
      reasons,
    };
  });
  const summary = { agrees: 0, differs: 0, meets_at_least: 0, below_at_least: 0, not_in_ledger: 0 } as Record<LineStatus, number>;
  for (const line of lines) summary[line.status]++;
  return { report: { id: report.id, title: report.title, published: report.published }, lines, consistency, summary };
}

const COLUMNS = [
  ['line', 'lineId'],
  ['text', 'text'],
  ['programs', 'programs'],
  ['basis', 'basis'],
  ['window', 'window'],
  ['declared count', 'declaredCount'],
  ['unit', 'unit'],
  ['declared 万元', 'declaredWan'],
  ['declared yuan', 'declaredYuan'],
  ['ledger persons', 'ledgerPersons'],
  ['ledger person-times', 'ledgerPersonTimes'],
  ['ledger 万元', 'ledgerWan'],
  ['ledger yuan', 'ledgerYuan'],
  ['count difference', 'countDifference'],
  ['amount difference yuan', 'amountDifference'],
  ['status', 'status'],
  ['reasons', 'reasons'],
] as const;

function flatRows(reconciliation: Reconciliation) {
  return reconciliation.lines.map((line) => ({
    lineId: line.lineId,
    text: line.text,
    programs: line.programs.join(' '),
    basis: line.basis,
    window: line.window,
    declaredCount: line.declared.count === undefined ? '' : `${line.declared.countAtLeast ? '≥' : ''}${line.declared.count}`,
    unit: line.declared.unit ?? '',
    declaredWan: line.declared.amountWanYuan === undefined ? '' : `${line.declared.amountAtLeast ? '≥' : ''}${line.declared.amountWanYuan}`,
    declaredYuan: line.declared.amountYuan ?? '',
    ledgerPersons: line.ledger?.persons ?? '',
    ledgerPersonTimes: line.ledger?.personTimes ?? '',
    ledgerWan: line.ledger?.amountWanYuan ?? '',
    ledgerYuan: line.ledger?.amountYuan ?? '',
    countDifference: line.difference?.count ?? '',
    amountDifference: line.difference?.amountYuan ?? '',
    status: line.status,
    reasons: line.reasons.join('; '),
  }));
}

export function reconciliationCsv(reconciliation: Reconciliation): string {
  return stringify(flatRows(reconciliation), { header: true, columns: COLUMNS.map(([header, key]) => ({ header, key })) });
}

/** An XLSX workbook: the lines (amounts as exact text and as numbers of 万元 for sums) and the report's own checks. */
export async function reconciliationXlsx(reconciliation: Reconciliation): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'student-aid-ledger';
  const sheet = workbook.addWorksheet('reconciliation');
  sheet.columns = COLUMNS.map(([header, key]) => ({ header, key, width: key === 'text' || key === 'reasons' ? 60 : 16 }));
  for (const row of flatRows(reconciliation)) sheet.addRow(row);
  sheet.getRow(1).font = { bold: true };
  const checks = workbook.addWorksheet('report consistency');
  checks.columns = [
    { header: 'line', key: 'lineId', width: 24 },
    { header: 'check', key: 'check', width: 24 },
    { header: 'ok', key: 'ok', width: 6 },
    { header: 'detail', key: 'detail', width: 100 },
  ];
  for (const finding of reconciliation.consistency) checks.addRow({ ...finding, ok: finding.ok ? 'yes' : 'NO' });
  checks.getRow(1).font = { bold: true };
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** A plain-text table for the terminal. */
export function reconciliationTable(reconciliation: Reconciliation): string {
  const rows = reconciliation.lines.map((line) => [
    line.lineId,
    line.declared.count === undefined ? '' : `${line.declared.countAtLeast ? '≥' : ''}${line.declared.count}`,
    line.ledger ? String(line.declared.unit === 'person_times' ? line.ledger.personTimes : line.ledger.persons) : '',
    line.declared.amountWanYuan === undefined ? '' : `${line.declared.amountAtLeast ? '≥' : ''}${line.declared.amountWanYuan}`,
    line.ledger?.amountWanYuan ?? '',
    line.status,
  ]);
  const header = ['line', 'declared', 'ledger', 'declared 万元', 'ledger 万元', 'status'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const format = (row: string[]) => row.map((cell, i) => (i === 0 || i === 5 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const lines = [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(format)];
  const notes = reconciliation.lines.filter((line) => line.reasons.length > 0).map((line) => `${line.lineId}: ${line.reasons.join('; ')}`);
  const checks = reconciliation.consistency.filter((finding) => !finding.ok).map((finding) => `${finding.lineId} (${finding.check}): ${finding.detail}`);
  return [...lines, '', 'Reasons:', ...notes, '', 'The report against itself:', ...checks].join('\n');
}

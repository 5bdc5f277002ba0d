import type Database from 'better-sqlite3';
import ExcelJS from 'exceljs';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  ConsistencyFinding,
  DeclaredLine,
  DeclaredReport,
  DifferenceExplanation,
  LineLedger,
  Money,
  ProgramCatalog,
  ReportError,
  checkReportConsistency,
  explainDifference,
  parseDeclaredReport,
} from '@ledger/domain';
import { LedgerFigures, queryLedgerFigures } from '@ledger/projections';
import { csvForExcel } from './csv-file';

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
  /** The amount difference split into parts computed from the ledger and the catalog, which add up to it. */
  explanation?: {
    ledger: string;
    parts: Array<{ amountYuan: string; amountWanYuan: string; persons?: number; detail: string }>;
    check: string;
  };
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

/**
 * What the ledger holds for a line, and what a difference is explained from: for a line at a date
 * before its year's end, the whole year too; for a line of payments over several programs, the
 * approvals (拟享受) of those of its programs that the ledger holds no payment of in the year.
 */
function lineLedger(db: Database.Database, line: DeclaredLine, window: { from?: string; to?: string }): LineLedger & { held: LedgerFigures } {
  const held = queryLedgerFigures(db, { programs: line.programs, basis: line.basis, ...window, ...(line.asOf && { valuedUpTo: line.asOf }) });
  const yearEnd = line.fiscalYear ? `${line.fiscalYear}-12-31` : undefined;
  const wholeYear =
    line.asOf && yearEnd && line.asOf < yearEnd ? queryLedgerFigures(db, { programs: line.programs, basis: line.basis, from: `${line.fiscalYear}-01-01`, to: yearEnd }) : undefined;
  const year = wholeYear ?? held;
  const unpaid = line.basis === 'paid' && line.programs.length > 1 ? line.programs.filter((code) => !year.holdings.some((holding) => holding.programCode === code)) : [];
  const approved = unpaid.length ? queryLedgerFigures(db, { programs: unpaid, basis: 'approved', ...(line.fiscalYear ? { from: `${line.fiscalYear}-01-01`, to: yearEnd } : window) }) : undefined;
  const approvedOnly =
    approved && !approved.amount.isZero()
      ? {
          programs: [...new Set(approved.holdings.map((holding) => holding.programCode))],
          personTimes: approved.personTimes,
          amount: approved.amount,
          personsAdded: new Set([...year.students, ...approved.students]).size - year.students.size,
        }
      : undefined;
  return { held, ...(wholeYear && { wholeYear }), ...(approvedOnly && { approvedOnly }) };
}

const explanationView = (explanation: DifferenceExplanation) => ({
  ledger: explanation.ledger,
  parts: explanation.parts.map((part) => ({
    amountYuan: part.amount.toString(),
    amountWanYuan: part.amount.toWanYuan(),
    ...(part.persons !== undefined && { persons: part.persons }),
    detail: part.detail,
  })),
  check: explanation.check,
});

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
    const ledger = lineLedger(db, line, { ...(window.from && { from: window.from }), ...(window.to && { to: window.to }) });
    const figures = ledger.held;
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
    const explanation = status === 'agrees' ? undefined : explainDifference(line, catalog, ledger);
    if (status !== 'agrees') {
      if (atLeast) reasons.push('the report gives a lower bound ("余"), not an exact figure');
      for (const finding of consistency.filter((f) => f.lineId === line.id && !f.ok)) reasons.push(`the report itself: ${finding.detail}`);
      if (line.basis === 'approved') reasons.push('approved (拟享受) figures: what was promised, compared with the ledger’s approvals');
      if (!line.amount) reasons.push('the report gives no amount');
      if (countDifference) reasons.push(`the ledger has ${Math.abs(countDifference)} ${line.count!.unit === 'persons' ? 'persons' : 'person-times'} ${countDifference > 0 ? 'more' : 'fewer'}`);
      if (amountDifference && !amountDifference.isZero()) {
        const size = amountDifference.fen < 0n ? Money.fromFen(-amountDifference.fen) : amountDifference;
        reasons.push(`the ledger has ${size.toWanYuan()}万元 (${size.toDisplay()}) ${amountDifference.fen > 0n ? 'more' : 'less'}${explanation ? ', in full:' : ''}`);
      }
      if (explanation) reasons.push(explanation.ledger, ...explanation.parts.filter((part) => !part.amount.isZero() || part === explanation.parts[explanation.parts.length - 1]).map((part) => part.detail), explanation.check);
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
      ...(explanation && { explanation: explanationView(explanation) }),
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
  return csvForExcel(flatRows(reconciliation), { header: true, columns: COLUMNS.map(([header, key]) => ({ header, key })) });
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
  const lines = [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(format)].map((row) => row.trimEnd());
  // Lines with the same reasons (the school-finance lines) are named together, their reasons once.
  const byReasons = new Map<string, { ids: string[]; reasons: string[] }>();
  for (const line of reconciliation.lines.filter((candidate) => candidate.reasons.length > 0)) {
    const key = JSON.stringify(line.reasons);
    if (!byReasons.has(key)) byReasons.set(key, { ids: [], reasons: line.reasons });
    byReasons.get(key)!.ids.push(line.lineId);
  }
  const notes = [...byReasons.values()].flatMap(({ ids, reasons }) => [`${ids.join(', ')}:`, ...reasons.map((reason) => `  - ${reason}`)]);
  const checks = reconciliation.consistency.filter((finding) => !finding.ok).map((finding) => `${finding.lineId} (${finding.check}): ${finding.detail}`);
  return [...lines, '', 'Reasons:', ...notes, '', 'The report against itself:', ...checks].join('\n');
}

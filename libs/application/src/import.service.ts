import { Inject, Injectable, Optional } from '@nestjs/common';
import { parse as parseCsv } from 'csv-parse';
import ExcelJS from 'exceljs';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import {
  BeneficiaryState,
  ColumnMapping,
  DomainError,
  EVENT_SCHEMA_VERSIONS,
  ImportField,
  Money,
  ProgramCatalog,
  beneficiaryDecider,
  cellText,
  currentEventOf,
  foldEvents,
  parseColumnMapping,
  parseRecordDisbursement,
  readPeriod,
  readProgram,
  readStage,
  resolveColumns,
} from '@ledger/domain';
import { EventStore, StreamAppend } from '@ledger/event-store';
import { Settings } from './settings';
import { CATALOG, EVENT_STORE, READ_MODELS, SETTINGS } from './tokens';
import { BudgetKeeper, ReadModelsDatabase } from './budget-keeper';
import { StudentDirectory, studentDirectoryOn } from './student-directory';
import { WriteContext } from './write-context';

/**
 * Batch import of payment lists: every row checked by the write path's own rules (and against the
 * rows before it and the ledger), a dry-run report of every problem by row and column, and a commit
 * of all rows or none — one atomic append across all the students' streams plus the batch's own
 * event. The batch is the file's SHA-256: the same file again records nothing.
 */
export interface ImportProblem {
  row: number;
  column: string;
  code: string;
  message: string;
}

export interface ImportReport {
  batchId: string;
  fileName: string;
  rows: number;
  problems: ImportProblem[];
  totals: Array<{ programCode: string; rows: number; students: number; amount: string; wanYuan: string }>;
  total: { rows: number; amount: string; wanYuan: string };
  dryRun: boolean;
  committed: boolean;
  alreadyImported: boolean;
  committedEvents?: number;
}

export const IMPORT_EVENT_TYPE = 'PaymentListImported';
export const importStreamId = (batchId: string) => `import-${batchId}`;
export type ImportFormat = 'csv' | 'xlsx';

const FIELD_OF_ERROR: Record<string, ImportField> = {
  'student.residentId': 'residentId',
  'student.studentNumber': 'studentNumber',
  student: 'residentId',
  'payee.type': 'payeeType',
  'payee.name': 'payeeName',
  'payee.account': 'account',
};

const MAX_PROBLEMS = 10_000;

@Injectable()
export class ImportService {
  private readonly mapping: ColumnMapping;
  private readonly directory: StudentDirectory;
  private readonly budgets: BudgetKeeper;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CATALOG) private readonly catalog: ProgramCatalog,
    @Inject(SETTINGS) settings: Settings,
    @Optional() @Inject(READ_MODELS) readModels?: ReadModelsDatabase,
  ) {
    this.mapping = parseColumnMapping(parseYaml(readFileSync(settings.importColumnsPath, 'utf8')));
    this.directory = studentDirectoryOn(store);
    this.budgets = new BudgetKeeper(store, readModels);
  }

  /** The rows of a CSV or XLSX file (first sheet), streamed: [line number, cells]. The first is the header. */
  private async *rows(path: string, format: ImportFormat): AsyncGenerator<[number, string[]]> {
    if (format === 'csv') {
      let line = 0;
      for await (const record of createReadStream(path).pipe(parseCsv({ bom: true, relax_column_count: true, skip_empty_lines: true, trim: true }))) {
        yield [++line, record as string[]];
      }
      return;
    }
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(path, { sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'ignore', worksheets: 'emit' });
    for await (const sheet of reader) {
      for await (const row of sheet) {
        const values = (row.values as unknown[]).slice(1).map(cellText);
        if (values.some((value) => value !== '')) yield [row.number, values];
      }
      return; // the first sheet only
    }
  }

  private static async hashFile(path: string): Promise<string> {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  /**
   * Checks every row; with `commit`, records them all if none has a problem. `onProgress` is told
   * the rows read so far.
   */
  async run(
    path: string,
    options: { format: ImportFormat; fileName: string; commit: boolean; write: WriteContext; onProgress?: (rows: number) => void },
  ): Promise<ImportReport> {
    const batchId = await ImportService.hashFile(path);
    const existing = await this.store.readStream(importStreamId(batchId));
    const problems: ImportProblem[] = [];
    const totals = new Map<string, { rows: number; students: Set<string>; fen: bigint }>();
    const students = new Map<string, { streamId: string; state: BeneficiaryState; revision: number; events: Array<{ type: string; data: unknown }> }>();
    // Rows naming one student by different identifiers land on one record; payments count against the budget together.
    const directory = this.directory.batch();
    const budget = this.budgets.batch();
    let headerOf: Partial<Record<ImportField, string>> = {};
    let columns: Partial<Record<ImportField, number>> = {};
    let rows = 0;
    const problem = (row: number, field: ImportField | 'file', code: string, message: string) => {
      if (problems.length < MAX_PROBLEMS) problems.push({ row, column: field === 'file' ? '' : (headerOf[field] ?? field), code, message });
    };

    for await (const [line, cells] of this.rows(path, options.format)) {
      if (Object.keys(columns).length === 0) {
        try {
          ({ columns, headerOf } = resolveColumns(cells, this.mapping));
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          problem(line, 'file', error.code, error.message);
          break;
        }
        continue;
      }
      rows++;
      if (rows % 1000 === 0) options.onProgress?.(rows);
      const cell = (field: ImportField) => (columns[field] === undefined ? '' : (cells[columns[field]!] ?? ''));
      const programCode = readProgram(cell('programCode'), this.catalog);
      const program = this.catalog.program(programCode);
      let command;
      try {
        command = parseRecordDisbursement({
          disbursementId: cell('disbursementId') || `${batchId.slice(0, 16)}-${line}`,
          student: { residentId: cell('residentId') || undefined, studentNumber: cell('studentNumber') || undefined, name: cell('name') || undefined },
          schoolCode: cell('schoolCode'),
          stage: readStage(cell('stage')),
          programCode,
          period: readPeriod(cell('period')),
          amount: cell('amount'),
          payee: { type: cell('payeeType') || program?.payee || 'student', name: cell('payeeName') || undefined, account: cell('account') || undefined },
          valueDate: cell('valueDate'),
          fundingSource: cell('fundingSource') || undefined,
        });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        problem(line, FIELD_OF_ERROR[error.field ?? ''] ?? ((error.field as ImportField) || 'file'), error.code, error.message);
        continue;
      }
      let placed;
      try {
        placed = await directory.place(command.data.student);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        problem(line, FIELD_OF_ERROR[error.field ?? ''] ?? 'residentId', error.code, error.message);
        continue;
      }
      command = { ...command, data: { ...command.data, student: placed.student } };
      const key = placed.student.key;
      let student = students.get(key);
      if (!student) {
        const stored = placed.stored ?? (await this.store.readStream(placed.streamId));
        student = {
          streamId: placed.streamId,
          state: foldEvents(beneficiaryDecider, stored.map((event) => currentEventOf(event) as never)),
          revision: stored.length - 1,
          events: [],
        };
        students.set(key, student);
      }
      try {
        // The row is decided against the ledger and the file's rows before it: a duplicate in the file is a duplicate.
        const events = beneficiaryDecider.decide(command, student.state, { catalog: this.catalog });
        for (const event of events) {
          student.state = beneficiaryDecider.evolve(student.state, event);
          student.events.push(event);
          budget.add(line, event);
        }
        const total = totals.get(command.data.programCode) ?? { rows: 0, students: new Set<string>(), fen: 0n };
        total.rows++;
        total.students.add(key);
        total.fen += command.data.amount.fen;
        totals.set(command.data.programCode, total);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        problem(line, FIELD_OF_ERROR[error.field ?? ''] ?? ((error.field as ImportField) || 'amount'), error.code, error.message);
      }
    }
    options.onProgress?.(rows);
    for (const over of await budget.problems()) problem(over.row, 'amount', over.code, over.message);
    if (rows === 0 && problems.length === 0) problem(1, 'file', 'IMPORT_EMPTY', 'the file has no rows');

    const totalFen = [...totals.values()].reduce((sum, total) => sum + total.fen, 0n);
    const report: ImportReport = {
      batchId,
      fileName: options.fileName,
      rows,
      problems,
      totals: [...totals.entries()].map(([programCode, total]) => {
        const amount = Money.fromFen(total.fen);
        return { programCode, rows: total.rows, students: total.students.size, amount: amount.toString(), wanYuan: amount.toWanYuan() };
      }),
      total: { rows, amount: Money.fromFen(totalFen).toString(), wanYuan: Money.fromFen(totalFen).toWanYuan() },
      dryRun: !options.commit,
      committed: false,
      alreadyImported: existing.length > 0,
    };
    if (!options.commit || problems.length > 0 || report.alreadyImported) return report;
    if (!this.store.appendAtomically) {
      throw new DomainError('IMPORT_NEEDS_ATOMIC_STORE', 'rule', 'an all-or-nothing import needs the embedded store; this store cannot append to many streams atomically');
    }
    const metadata = { actor: options.write.actor, correlationId: batchId, causationId: options.write.causationId, importBatch: batchId };
    let n = 0;
    const appends: StreamAppend[] = [...students.entries()]
      .filter(([, student]) => student.events.length > 0)
      .map(([, student]) => ({
        streamId: student.streamId,
        expectedVersion: student.revision < 0 ? 'no_stream' : student.revision,
        events: student.events.map((event) => ({
          eventId: `${batchId.slice(0, 32)}-${n++}`,
          type: event.type,
          schemaVersion: EVENT_SCHEMA_VERSIONS[event.type as keyof typeof EVENT_SCHEMA_VERSIONS],
          data: event.data,
          metadata,
        })),
      }));
    const links = directory.linkAppends((link) => `${batchId.slice(0, 32)}-link-${link}`, metadata);
    appends.push(...links);
    appends.push({
      streamId: importStreamId(batchId),
      expectedVersion: 'no_stream',
      events: [
        {
          eventId: `${batchId.slice(0, 32)}-batch`,
          type: IMPORT_EVENT_TYPE,
          schemaVersion: 1,
          data: { batchId, fileName: options.fileName, fileHash: batchId, rows, totals: report.totals, total: report.total },
          metadata: { ...metadata, importBatch: batchId },
        },
      ],
    });
    await budget.appending(() => this.store.appendAtomically!(appends));
    return { ...report, committed: true, committedEvents: n + links.length + 1 };
  }
}

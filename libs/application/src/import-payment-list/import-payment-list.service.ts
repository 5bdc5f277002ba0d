import { Inject, Injectable, Optional } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { parse as parseYaml } from 'yaml';
import {
  BeneficiaryEvent,
  BeneficiaryState,
  ColumnMapping,
  DomainError,
  HEADER_SEARCH_ROWS,
  ImportConflict,
  ImportField,
  ImportRowAfterTotal,
  ImportRowRepeated,
  ImportSheetsAmbiguous,
  ImportTotalMismatch,
  ListCell,
  ListColumns,
  LocalDate,
  Money,
  ProgramCatalog,
  RecordDisbursement,
  beneficiaryDecider,
  foldEvents,
  isBlankRow,
  isTotalRow,
  matchHeaders,
  missingColumns,
  parseColumnMapping,
  parseImportFileName,
  readAmount,
  readPaymentRow,
  rowRuleProblems,
  rowWiderThanHeader,
  shortened,
} from '@ledger/domain';
import { EventIdConflictError, EventStore, StreamAppend, WrongExpectedVersionError } from '@ledger/event-store';
import { WritePipeline, envelope, importMetadataOf } from '../write-pipeline';
import { CsvEncoding, ImportFormat, ListSheet, csvRows, inspectListFile, workbookSheets } from '../import-file';
import { Settings } from '../settings';
import { BudgetBatch, BudgetKeeper, ReadModelsDatabase } from '../budget-keeper';
import { StudentDirectory, StudentDirectoryBatch, studentDirectoryOf } from '../student-directory';
import { CATALOG, CLOCK, READ_MODELS, SETTINGS } from '../tokens';
import { Clock, systemClock } from '../clock';
import { WriteContext } from '../write-context';

export type { ImportFormat } from '../import-file';

/**
 * Batch import of payment lists: every row checked by the write path's own rules (and against the
 * rows before it and the ledger), a dry-run report of every problem by row and column, and a commit
 * of the new rows all or none — one atomic append across all the students' streams plus the batch's
 * own event, which states what this batch recorded and nothing else. The batch is the file's
 * SHA-256: the same file again records nothing; rows already in the ledger (from a file of other
 * bytes) are named with the batch that recorded them and not recorded again.
 */
export interface ImportProblem {
  row: number;
  column: string;
  code: string;
  message: string;
}

/** A row whose payment the ledger already holds (same 编号, same content), and the batch that recorded it (null: recorded on its own). */
export interface AlreadyRecordedRow {
  row: number;
  disbursementId: string;
  importBatch: string | null;
}

export interface ImportReport {
  batchId: string;
  fileName: string;
  /** How the file was read: its encoding (CSV), the sheet (XLSX), the header row, the 合计 row checked. */
  read: { format: ImportFormat; encoding?: CsvEncoding; sheet?: string; headerRow?: number; totalRow?: number };
  /** Payment rows in the file (not the header, titles, blank lines or the 合计 row). */
  rows: number;
  problems: ImportProblem[];
  alreadyRecorded: AlreadyRecordedRow[];
  /** What the import records (a dry run: would record): the new rows, by program and in all. */
  totals: Array<{ programCode: string; rows: number; students: number; amount: string; wanYuan: string }>;
  total: { rows: number; amount: string; wanYuan: string };
  dryRun: boolean;
  committed: boolean;
  alreadyImported: boolean;
  committedEvents?: number;
}

export const IMPORT_EVENT_TYPE = 'PaymentListImported';
export const importStreamId = (batchId: string) => `import-${batchId}`;

const MAX_LISTED = 10_000;
/** The longest problem message reported: what a message quotes of the file is bounded at its source, this is the backstop. */
const MAX_MESSAGE_CHARACTERS = 1_000;
/** The state of a student with no events (shared: evolve never changes a state, it makes a new one). */
const NO_EVENTS = beneficiaryDecider.initialState();
/** Students' appends handed to the store at a time: written and let go of before the next are made. */
const APPEND_PART_STREAMS = 2_000;
/** Work done between two turns of the event loop: other requests wait at most about this long. */
const SLICE_MS = 10;

/** A student's record as the import sees it: where it was read and the events this file adds to it. */
interface StudentRecord {
  readonly streamId: string;
  /** Revision of the stored stream when read (-1: no stream yet). */
  readonly revision: number;
  /** The events this file's rows add, with their rows. */
  readonly pending: Array<{ row: number; event: BeneficiaryEvent }>;
}

/** Everything one import run keeps while it reads the file. */
class ImportRun {
  readonly problems: ImportProblem[] = [];
  readonly alreadyRecorded: AlreadyRecordedRow[] = [];
  readonly students = new Map<string, StudentRecord>();
  /** Recent states of students with stored events, so that their next row reads no stream again (bounded: memory stays flat). */
  readonly states = new Map<string, BeneficiaryState>();
  readonly totals = new Map<string, { rows: number; students: Set<string>; fen: bigint }>();
  rows = 0;
  /** The sum of every payment row's amount, for the 合计 row; undefined once a row's amount is unreadable. */
  listFen: bigint | undefined = 0n;
  private sliceStarted = performance.now();

  constructor(
    readonly batchId: string,
    /** Rows naming one student by different identifiers land on one record (and link those identifiers). */
    readonly directory: StudentDirectoryBatch,
    /** The rows' payments, counted together against their programs' budgets. */
    readonly budget: BudgetBatch,
    /** The day every row is decided against (no value date after it): the day the import started. */
    readonly today: LocalDate,
  ) {}

  problem(row: number, column: string, code: string, message: string) {
    if (this.problems.length < MAX_LISTED) this.problems.push({ row, column: shortened(column), code, message: shortened(message, MAX_MESSAGE_CHARACTERS) });
  }

  /** Lets the event loop run other work (requests, /health) every few milliseconds of checking. */
  async pace(): Promise<void> {
    if (performance.now() - this.sliceStarted < SLICE_MS) return;
    await nextTurn();
    this.sliceStarted = performance.now();
  }
}

@Injectable()
export class ImportService {
  private readonly mapping: ColumnMapping;
  private readonly store: EventStore;
  private readonly directory: StudentDirectory;
  private readonly budgets: BudgetKeeper;
  private static readonly MAX_CACHED_STATES = 2_000;

  constructor(
    private readonly pipeline: WritePipeline,
    @Inject(CATALOG) private readonly catalog: ProgramCatalog,
    @Inject(SETTINGS) settings: Settings,
    @Optional() @Inject(READ_MODELS) readModels?: ReadModelsDatabase,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {
    this.store = pipeline.store;
    this.mapping = parseColumnMapping(parseYaml(readFileSync(settings.importColumnsPath, 'utf8')));
    this.directory = studentDirectoryOf(pipeline);
    this.budgets = new BudgetKeeper(pipeline.store, readModels);
  }

  /** The sheets of the file: a CSV is one, unnamed. */
  private async *sheets(path: string, format: ImportFormat, encoding: CsvEncoding | undefined, fileName: string): AsyncGenerator<ListSheet> {
    if (format === 'csv') yield { name: '', rows: csvRows(path, encoding!, fileName) };
    else yield* workbookSheets(path, fileName);
  }

  /**
   * Checks every row; with `commit`, records the new ones if no row has a problem. `onProgress` is
   * told the rows read so far. A file that cannot be read at all throws (IMPORT_FILE_…, 400).
   */
  async run(
    path: string,
    options: { format: ImportFormat; fileName: string; commit: boolean; write: WriteContext; onProgress?: (rows: number) => void },
  ): Promise<ImportReport> {
    const { format } = options;
    // Checked before the file is read: the name is recorded with the batch, for ever.
    const fileName = parseImportFileName(options.fileName);
    const { sha256: batchId, encoding } = await inspectListFile(path, format, fileName);
    const existing = await this.store.readStream(importStreamId(batchId));
    const run = new ImportRun(batchId, this.directory.batch(), this.budgets.batch(), this.clock.today());
    const read: ImportReport['read'] = { format, ...(encoding && { encoding }) };

    let list: { sheet: string; header: ListColumns; headerRow: number; headerCells: number } | undefined;
    let best: { sheet: string; row: number; cells: ListCell[]; match: ListColumns; named: number } | undefined;
    let total: { row: number; cell: ListCell } | undefined;
    let afterTotalReported = false;
    for await (const sheet of this.sheets(path, format, encoding, fileName)) {
      let header: ListColumns | undefined;
      let searched = 0;
      let otherList = false;
      for await (const { row, cells } of sheet.rows) {
        await run.pace();
        if (isBlankRow(cells)) continue;
        if (!header) {
          // Titles, notes and units above the header: the header is the first row that names every needed column.
          if (searched++ >= HEADER_SEARCH_ROWS) continue;
          const match = matchHeaders(cells, this.mapping);
          if (match.missing.length === 0) {
            header = match;
            if (!list) list = { sheet: sheet.name, header, headerRow: row, headerCells: cells.length };
          } else {
            // The row most like a header, to say what it lacks if none is found.
            const named = Object.keys(match.columns).length;
            if (!best || named > best.named) best = { sheet: sheet.name, row, cells, match, named };
          }
          continue;
        }
        if (list!.sheet !== sheet.name) {
          // A second sheet with a list under its header: which one is meant cannot be told.
          if (!otherList) run.problem(row, '', ImportSheetsAmbiguous.code, `the workbook has payment lists on sheets "${list!.sheet}" and "${sheet.name}": put one list in a file and import it alone`);
          otherList = true;
          continue;
        }
        const { columns, headerOf } = list!.header;
        const cellOf = (field: ImportField): ListCell => (columns[field] === undefined ? '' : (cells[columns[field]!] ?? ''));
        if (total) {
          // After the 合计 row: a signature or a note is not a payment; a row naming a student or an amount cannot be told from one.
          if (!afterTotalReported && (cellOf('residentId') !== '' || cellOf('studentNumber') !== '' || cellOf('amount') !== '')) {
            run.problem(row, '', ImportRowAfterTotal.code, `row ${row} comes after the 合计 row ${total.row}: a list ends with its total (move the row above it, or the total below the last payment)`);
            afterTotalReported = true;
          }
          continue;
        }
        // A CSV row wider than its header had a cell split by an unquoted comma: its cells are not under their headers.
        const tooWide = format === 'csv' ? rowWiderThanHeader(cells, list!.headerCells, row) : undefined;
        if (tooWide) run.problem(row, '', tooWide.code, tooWide.message);
        if (isTotalRow(cells, columns)) {
          total = { row, cell: tooWide ? '' : cellOf('amount') };
          continue;
        }
        run.rows++;
        if (run.rows % 1000 === 0) options.onProgress?.(run.rows);
        if (tooWide) {
          run.listFen = undefined; // its amount is not known: the 合计 row cannot be checked against the rows
          continue;
        }
        await this.checkRow(run, row, cellOf, (field) => headerOf[field] ?? field, columns);
      }
    }
    options.onProgress?.(run.rows);

    if (!list) {
      const where = best?.sheet ? `sheet "${best.sheet}"` : 'the file';
      const error = missingColumns(best?.match.missing ?? ['schoolCode', 'stage', 'programCode', 'period', 'amount', 'valueDate', 'residentId'], best?.cells ?? [], this.mapping, where);
      run.problem(best?.row ?? 1, '', error.code, error.message);
    } else {
      if (format === 'xlsx') read.sheet = list.sheet;
      read.headerRow = list.headerRow;
      if (total) {
        read.totalRow = total.row;
        this.checkTotal(run, total, list.header.headerOf.amount ?? 'amount');
      }
      if (run.rows === 0 && run.problems.length === 0) run.problem(list.headerRow, '', 'IMPORT_EMPTY', 'the list has no payment rows under its header');
      const amountColumn = list.header.headerOf.amount ?? 'amount';
      for (const over of await run.budget.problems()) run.problem(over.row, amountColumn, over.code, over.message);
    }

    const totalFen = [...run.totals.values()].reduce((sum, entry) => sum + entry.fen, 0n);
    const newRows = [...run.totals.values()].reduce((sum, entry) => sum + entry.rows, 0);
    const report: ImportReport = {
      batchId,
      fileName,
      read,
      rows: run.rows,
      problems: run.problems,
      alreadyRecorded: run.alreadyRecorded,
      totals: [...run.totals.entries()].map(([programCode, entry]) => {
        const amount = Money.fromFen(entry.fen);
        return { programCode, rows: entry.rows, students: entry.students.size, amount: amount.toString(), wanYuan: amount.toWanYuan() };
      }),
      total: { rows: newRows, amount: Money.fromFen(totalFen).toString(), wanYuan: Money.fromFen(totalFen).toWanYuan() },
      dryRun: !options.commit,
      committed: false,
      alreadyImported: existing.length > 0,
    };
    if (!options.commit || run.problems.length > 0) return report;
    // Nothing new: the log gets no batch event claiming rows it did not record.
    if (report.alreadyImported || newRows === 0) return { ...report, committedEvents: 0 };
    if (!this.pipeline.appendsBatches) {
      throw new DomainError('IMPORT_NEEDS_ATOMIC_STORE', 'rule', 'an all-or-nothing import needs the embedded store; this store cannot append to many streams atomically');
    }
    run.states.clear();
    const parts = this.appendsOf(run, report, options.write);
    let committedEvents: number;
    try {
      // Counted against the budgets again as it is appended, with this process's other payments in flight.
      committedEvents = await run.budget.appending(() => this.pipeline.appendBatch(parts));
    } catch (error) {
      if (error instanceof WrongExpectedVersionError || error instanceof EventIdConflictError) {
        throw new ImportConflict(`the ledger changed while the list was checked (${error.message}): nothing was recorded; import the list again`, 'file');
      }
      throw error;
    }
    return { ...report, committed: true, committedEvents };
  }

  /** One payment row: read, decided against the ledger and the file's rows before it, counted. */
  private async checkRow(
    run: ImportRun,
    row: number,
    cellOf: (field: ImportField) => ListCell,
    columnOf: (field: ImportField) => string,
    columns: Partial<Record<ImportField, number>>,
  ): Promise<void> {
    const read = readPaymentRow(cellOf, `${run.batchId.slice(0, 16)}-${row}`, this.catalog);
    if (read.problems) {
      const order = (field: ImportField) => columns[field] ?? Number.MAX_SAFE_INTEGER;
      for (const problem of [...read.problems].sort((a, b) => order(a.field) - order(b.field))) run.problem(row, columnOf(problem.field), problem.code, problem.message);
      if (run.listFen !== undefined) {
        try {
          run.listFen += Money.parse(readAmount(cellOf('amount'))).fen;
        } catch {
          run.listFen = undefined;
        }
      }
      return;
    }
    if (run.listFen !== undefined) run.listFen += read.command.data.amount.fen;
    let placed;
    try {
      placed = await this.studentOf(run, read.command);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      run.problem(row, columnOf(error.field === 'student.studentNumber' ? 'studentNumber' : 'residentId'), error.code, error.message);
      return;
    }
    const { command, key, student } = placed;
    let state = await this.stateOf(run, key, student);
    let events: BeneficiaryEvent[];
    try {
      // Decided against the ledger and the file's rows before it: a duplicate in the file is a duplicate.
      events = beneficiaryDecider.decide(command, state, { catalog: this.catalog, today: run.today });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      for (const problem of rowRuleProblems(error, command, this.catalog)) run.problem(row, columnOf(problem.field), problem.code, problem.message);
      return;
    }
    if (events.length === 0) {
      // The same payment (id and content) again: earlier in this file, or already in the ledger.
      const { disbursementId } = command.data;
      const earlier = student.pending.find(({ event }) => (event.data as { disbursementId?: string }).disbursementId === disbursementId);
      if (earlier) run.problem(row, columnOf('disbursementId'), ImportRowRepeated.code, `row ${row} repeats the payment of row ${earlier.row} (${disbursementId}): a list pays each payment once`);
      else if (run.alreadyRecorded.length < MAX_LISTED) run.alreadyRecorded.push({ row, disbursementId, importBatch: await this.batchThatRecorded(student, disbursementId) });
      return;
    }
    for (const event of events) {
      state = beneficiaryDecider.evolve(state, event);
      student.pending.push({ row, event });
      run.budget.add(row, event);
    }
    if (student.revision >= 0) this.rememberState(run, key, state);
    const total = run.totals.get(command.data.programCode) ?? { rows: 0, students: new Set<string>(), fen: 0n };
    total.rows++;
    total.students.add(key);
    total.fen += command.data.amount.fen;
    run.totals.set(command.data.programCode, total);
  }

  /**
   * The record a row's payment goes to, by any identifier the row names (the student directory, which
   * also links identifiers named for the first time): its stream, read once per import at the revision
   * the batch will be appended at; and the row's command, naming the student by the record's key.
   */
  private async studentOf(run: ImportRun, command: RecordDisbursement): Promise<{ command: RecordDisbursement; key: string; student: StudentRecord }> {
    const placed = await run.directory.place(command.data.student);
    const key = placed.student.key;
    const named: RecordDisbursement = placed.student === command.data.student ? command : { ...command, data: { ...command.data, student: placed.student } };
    let student = run.students.get(key);
    if (!student) {
      const stored = placed.stored ?? (await this.store.readStream(placed.streamId));
      student = { streamId: placed.streamId, revision: stored.length - 1, pending: [] };
      run.students.set(key, student);
      if (stored.length > 0) this.rememberState(run, key, foldEvents(beneficiaryDecider, stored.map((event) => this.pipeline.decidable(placed.streamId, event) as never)));
    }
    return { command: named, key, student };
  }

  /**
   * A student's state: the stored events and this file's rows so far. A new student's is folded from
   * the file's rows alone (most students of a list: nothing kept but their events); a stored one's is
   * cached, or read again.
   */
  private async stateOf(run: ImportRun, key: string, student: StudentRecord): Promise<BeneficiaryState> {
    if (student.revision < 0) return student.pending.length === 0 ? NO_EVENTS : foldEvents(beneficiaryDecider, student.pending.map(({ event }) => event) as never);
    let state = run.states.get(key);
    if (!state) {
      const stored = (await this.store.readStream(student.streamId)).slice(0, student.revision + 1);
      state = foldEvents(beneficiaryDecider, [...stored.map((event) => this.pipeline.decidable<BeneficiaryEvent>(student.streamId, event)), ...student.pending.map(({ event }) => event)] as never);
      this.rememberState(run, key, state);
    }
    return state;
  }

  private rememberState(run: ImportRun, key: string, state: BeneficiaryState): void {
    run.states.delete(key);
    if (run.states.size >= ImportService.MAX_CACHED_STATES) run.states.delete(run.states.keys().next().value!);
    run.states.set(key, state);
  }

  /** The batch whose import recorded a payment already in a student's stream (null: recorded on its own). */
  private async batchThatRecorded(student: StudentRecord, disbursementId: string): Promise<string | null> {
    const stored = await this.store.readStream(student.streamId);
    const event = stored.find((candidate) => (candidate.data as { disbursementId?: string }).disbursementId === disbursementId);
    return event?.metadata.importBatch ?? null;
  }

  /** The 合计 row's amount against the sum of the rows above it. */
  private checkTotal(run: ImportRun, total: { row: number; cell: ListCell }, column: string): void {
    if (total.cell === '') return;
    let stated: Money;
    try {
      stated = Money.parse(readAmount(total.cell));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      run.problem(total.row, column, error.code, `the 合计 row's amount: ${error.message}`);
      return;
    }
    if (run.listFen !== undefined && stated.fen !== run.listFen) {
      run.problem(total.row, column, ImportTotalMismatch.code, `the 合计 row says ${stated} but the ${run.rows} rows above it add up to ${Money.fromFen(run.listFen)}: correct the rows or the total`);
    }
  }

  /**
   * The batch's appends, in parts: each student's new events at the revision read, then the batch's
   * own event, stating what it records. A student's record is let go of once its part is made.
   */
  private async *appendsOf(run: ImportRun, report: ImportReport, write: WriteContext): AsyncGenerator<StreamAppend[]> {
    const { batchId } = run;
    // One metadata object for every event of the batch (the hash chain serializes it once).
    const metadata = importMetadataOf(write, batchId);
    let n = 0;
    let part: StreamAppend[] = [];
    for (const [key, student] of run.students) {
      run.students.delete(key);
      if (student.pending.length === 0) continue;
      part.push({
        streamId: student.streamId,
        expectedVersion: student.revision < 0 ? 'no_stream' : student.revision,
        events: student.pending.map(({ event }) => envelope(event, `${batchId.slice(0, 32)}-${n++}`, metadata)),
      });
      if (part.length === APPEND_PART_STREAMS) {
        yield part;
        part = [];
      }
    }
    // Identifiers the rows named for the first time, each linked to its student's record.
    let linkNumber = 0;
    for (const { streamId, event } of run.directory.links()) {
      part.push({ streamId, expectedVersion: 'no_stream', events: [envelope(event, `${batchId.slice(0, 32)}-link-${linkNumber++}`, metadata)] });
      if (part.length === APPEND_PART_STREAMS) {
        yield part;
        part = [];
      }
    }
    part.push({
      streamId: importStreamId(batchId),
      expectedVersion: 'no_stream',
      events: [
        envelope(
          {
            type: IMPORT_EVENT_TYPE,
            // What this batch records: the rows already in the ledger are not counted again.
            data: { batchId, fileName: report.fileName, fileHash: batchId, rows: report.total.rows, totals: report.totals, total: report.total },
          },
          `${batchId.slice(0, 32)}-batch`,
          metadata,
        ),
      ],
    });
    yield part;
  }
}

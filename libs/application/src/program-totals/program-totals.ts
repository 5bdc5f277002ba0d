import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import ExcelJS from 'exceljs';
import { FieldProblem, Money, ProgramCatalog, STAGES, parsePeriod, parseSchoolCode } from '@ledger/domain';
import { EventStore } from '@ledger/event-store';
import { ProgramTotals, ReplayLimit, TOTALS_GROUPINGS, TotalsFilter, pointInTimeBasis, programTotalsProjection, queryProgramTotals } from '@ledger/projections';
import { CATALOG, EVENT_STORE } from '../tokens';
import { ReadSide } from '../read-side';
import { csvForExcel } from '../csv-file';
import { POINT_IN_TIME_PARAMETERS, readPointInTime } from '../point-in-time';
import { fiscalYearProblem, formatProblem, programCodeProblem, refuseProblems, unknownParameterProblems } from '../query-parameters';

/** Amounts as exact yuan strings and as 万元, the unit the work report prints. */
export const money = (amount: Money) => ({ yuan: amount.toString(), wanYuan: amount.toWanYuan() });

function totalsView(row: ProgramTotals, catalog: ProgramCatalog) {
  return {
    programCode: row.programCode,
    programName: catalog.program(row.programCode)?.name,
    fiscalYear: row.fiscalYear,
    ...(row.group && { group: row.group }),
    approved: { personTimes: row.approved.personTimes, students: row.approved.students, amount: money(row.approved.amount) },
    paid: { personTimes: row.paid.personTimes, amount: money(row.paid.amount) },
    reversed: { personTimes: row.reversed.personTimes, amount: money(row.reversed.amount) },
    net: { personTimes: row.net.personTimes, students: row.net.students, amount: money(row.net.amount) },
    ...(catalog.program(row.programCode)?.kind === 'loan' && {
      loans: { repaid: money(row.loans.repaid), outstanding: money(row.loans.outstanding) },
    }),
    ...(row.budgetAllocated && { budgetAllocated: money(row.budgetAllocated) }),
  };
}

const TOTALS_PARAMETERS = ['fiscalYear', 'programCode', 'schoolCode', 'stage', 'period', 'groupBy', ...POINT_IN_TIME_PARAMETERS, 'format'];
const FORMATS = ['json', 'csv', 'xlsx'] as const;

/** The totals filter the query asks for; each malformed filter added to `problems` (never echoed: it may be anything). */
function readTotalsFilter(query: Record<string, string | undefined>, catalog: ProgramCatalog, problems: FieldProblem[]): TotalsFilter {
  const filter: TotalsFilter = {};
  const yearProblem = fiscalYearProblem(query.fiscalYear);
  if (yearProblem) problems.push(yearProblem);
  else if (query.fiscalYear !== undefined) filter.fiscalYear = Number(query.fiscalYear);
  const programProblem = programCodeProblem(catalog, query.programCode);
  if (programProblem) problems.push(programProblem);
  else if (query.programCode !== undefined) filter.programCode = query.programCode;
  if (query.schoolCode !== undefined) {
    try {
      filter.schoolCode = parseSchoolCode(query.schoolCode);
    } catch (error) {
      problems.push({ field: 'schoolCode', message: (error as Error).message });
    }
  }
  if (query.stage !== undefined) {
    if (!STAGES.includes(query.stage as never)) problems.push({ field: 'stage', message: `stage must be one of ${STAGES.join(', ')}` });
    else filter.stage = query.stage;
  }
  if (query.period !== undefined) {
    try {
      filter.period = parsePeriod(query.period).id;
    } catch (error) {
      problems.push({ field: 'period', message: (error as Error).message });
    }
  }
  if (query.groupBy !== undefined) {
    if (!TOTALS_GROUPINGS.includes(query.groupBy as never)) problems.push({ field: 'groupBy', message: `groupBy must be one of ${TOTALS_GROUPINGS.join(', ')}` });
    else filter.groupBy = query.groupBy as TotalsFilter['groupBy'];
  }
  return filter;
}

/** The totals table as the work report prints it: persons, person-times, yuan and 万元, by program. */
function totalsTable(rows: ProgramTotals[], catalog: ProgramCatalog) {
  return rows.map((row) => ({
    fiscalYear: row.fiscalYear,
    programCode: row.programCode,
    '项目': catalog.program(row.programCode)?.name.zh ?? '',
    program: catalog.program(row.programCode)?.name.en ?? '',
    group: row.group ? Object.values(row.group)[0] : '',
    '人数 persons': row.net.students,
    '人次 person-times': row.net.personTimes,
    '金额 yuan': row.net.amount.toString(),
    '金额 万元': row.net.amount.toWanYuan(),
    'approved persons': row.approved.students,
    'approved yuan': row.approved.amount.toString(),
  }));
}

async function totalsXlsx(table: ReturnType<typeof totalsTable>): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('totals');
  const headers = Object.keys(table[0] ?? { fiscalYear: '', programCode: '' });
  sheet.columns = headers.map((header) => ({ header, key: header, width: header === 'program' ? 40 : 16 }));
  for (const row of table) sheet.addRow(row);
  sheet.getRow(1).font = { bold: true };
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** The totals in the format asked for: the JSON answer, or the report's table as CSV or XLSX. */
export type ProgramTotalsAnswer = { format: 'json'; body: Record<string, unknown> } | { format: 'csv'; body: string } | { format: 'xlsx'; body: Buffer };

/**
 * Per-program totals by fiscal year (approved, paid, reversed, net; persons and person-times), with
 * the query's filters, grouping and point in time (by replay), as the query string gives them:
 * every parameter checked, each problem named (ParametersInvalid).
 */
export class ProgramTotalsQuery extends Query<ProgramTotalsAnswer> {
  constructor(readonly parameters: Record<string, string | undefined>) {
    super();
  }
}

@QueryHandler(ProgramTotalsQuery)
export class ProgramTotalsHandler implements IQueryHandler<ProgramTotalsQuery, ProgramTotalsAnswer> {
  constructor(
    private readonly readSide: ReadSide,
    @Inject(CATALOG) private readonly catalog: ProgramCatalog,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async execute({ parameters }: ProgramTotalsQuery): Promise<ProgramTotalsAnswer> {
    // asOf is refused with its own message (see point-in-time.ts), not as an unknown parameter.
    const { asOf, ...named } = parameters;
    const { valuedUpTo, recordedBy, asOfPosition, format = 'json', ...filters } = named;
    const problems = unknownParameterProblems(named, TOTALS_PARAMETERS);
    const filter = readTotalsFilter(filters, this.catalog, problems);
    const limit = readPointInTime({ asOf, valuedUpTo, recordedBy, asOfPosition }, asOfPosition === undefined ? undefined : await this.store.headPosition(), problems);
    const badFormat = formatProblem(format, FORMATS);
    if (badFormat) problems.push(badFormat);
    refuseProblems(problems);
    const replayed = limit && (await this.readSide.asOf(limit, (db) => queryProgramTotals(db, filter), [programTotalsProjection]));
    if (format !== 'json') {
      const rows = replayed ? replayed.answer : queryProgramTotals(await this.readSide.current(), filter);
      const table = totalsTable(rows, this.catalog);
      if (format === 'csv') return { format, body: csvForExcel(table, { header: true }) };
      return { format: 'xlsx', body: await totalsXlsx(table) };
    }
    const basis = 'fiscal year = calendar year of the value date; reversals net against the payment they reverse; students = distinct students with a net payment';
    if (limit && replayed) {
      return {
        format,
        body: {
          basis: `${basis}; ${pointInTimeBasis(limit)}`,
          pointInTime: { ...(limit.valuedUpTo && { valuedUpTo: limit.valuedUpTo }), ...(limit.recordedBy && { recordedBy: limit.recordedBy }), ...(limit.untilPosition !== undefined && { asOfPosition: limit.untilPosition.toString() }) },
          asOfPosition: replayed.lastPosition.toString(),
          eventsReplayed: replayed.events,
          eventsValuedLater: replayed.valuedLater,
          filter,
          totals: replayed.answer.map((row) => totalsView(row, this.catalog)),
        },
      };
    }
    const totals = await this.readSide.remembered(`totals:${JSON.stringify(filter)}`, (db) => queryProgramTotals(db, filter).map((row) => totalsView(row, this.catalog)));
    return { format, body: { basis, asOfPosition: this.readSide.checkpoint.toString(), filter, totals } };
  }
}

/** Totals on read models replayed from the log to a point in time (the CLI's `replay`), with the replay's progress. */
export class ReplayedProgramTotalsQuery extends Query<{ rows: ProgramTotals[]; events: number; valuedLater: number; lastPosition: bigint }> {
  constructor(
    readonly limit: ReplayLimit,
    readonly filter: TotalsFilter = {},
    readonly onProgress?: (events: number) => void,
  ) {
    super();
  }
}

@QueryHandler(ReplayedProgramTotalsQuery)
export class ReplayedProgramTotalsHandler implements IQueryHandler<ReplayedProgramTotalsQuery> {
  constructor(private readonly readSide: ReadSide) {}

  async execute({ limit, filter, onProgress }: ReplayedProgramTotalsQuery) {
    const { answer, ...replay } = await this.readSide.asOf(limit, (db) => queryProgramTotals(db, filter), [programTotalsProjection], onProgress);
    return { rows: answer, ...replay };
  }
}

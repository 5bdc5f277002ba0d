import { Controller, Get, Inject, NotFoundException, Param, Query } from '@nestjs/common';
import ExcelJS from 'exceljs';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { FieldProblem, Money, Program, ProgramCatalog, STAGES, identityFromKey, parsePeriod, parseSchoolCode } from '@ledger/domain';
import { ProgramTotals, TOTALS_GROUPINGS, TotalsFilter, pointInTimeBasis, programTotalsProjection, queryBeneficiaryHistory, queryBudgets, queryProgramTotals } from '@ledger/projections';
import { ReadSide } from '../queries/read-side.service';
import { Download } from '../edge/replies';
import { CATALOG, EVENT_STORE, StudentDirectory, csvForExcel, studentDirectoryOn } from '@ledger/application';
import { EventStore } from '@ledger/event-store';
import { RequestInvalidError } from './problem-details.filter';
import { POINT_IN_TIME_PARAMETERS, readPointInTime } from './point-in-time';
import { programCodeProblem, unknownParameterProblems } from './query-parameters';

/** Amounts as exact yuan strings and as 万元, the unit the work report prints. */
const money = (amount: Money) => ({ yuan: amount.toString(), wanYuan: amount.toWanYuan() });

function programView(program: Program) {
  return {
    code: program.code,
    name: program.name,
    kind: program.kind,
    stages: program.stages,
    period: program.period,
    payee: program.payee,
    excludes: program.excludes,
    fundingSources: program.fundingSources,
    openFrom: program.openFrom,
    ...(program.openUntil && { openUntil: program.openUntil }),
    standards: program.standards.map((standard) => ({
      from: standard.from,
      rule: standard.rule,
      amounts: Object.fromEntries(Object.entries(standard.amounts).map(([stage, amounts]) => [stage, amounts!.map(String)])),
    })),
    ...(program.notes && { notes: program.notes }),
  };
}

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

/** The totals filter the query asks for; each malformed filter added to `problems` (never echoed: it may be anything). */
function readTotalsFilter(query: Record<string, string | undefined>, catalog: ProgramCatalog, problems: FieldProblem[]): TotalsFilter {
  const filter: TotalsFilter = {};
  if (query.fiscalYear !== undefined) {
    if (!/^\d{4}$/.test(query.fiscalYear)) problems.push({ field: 'fiscalYear', message: 'fiscalYear must be a year such as 2022' });
    else filter.fiscalYear = Number(query.fiscalYear);
  }
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

/** What bureau staff, officers and auditors read: the catalog, totals, budgets, a student's history. */
@ApiTags('read')
@Controller()
export class QueryController {
  private readonly students: StudentDirectory;

  constructor(
    private readonly readSide: ReadSide,
    @Inject(CATALOG) private readonly catalog: ProgramCatalog,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {
    this.students = studentDirectoryOn(store);
  }

  @Get('programs')
  @ApiOperation({ summary: 'The program catalog: names, kinds, stages, standards, exclusions' })
  programs() {
    return { fundingSources: this.catalog.fundingSources, programs: this.catalog.programs.map(programView) };
  }

  @Get('programs/:code')
  @ApiOperation({ summary: 'One program of the catalog' })
  program(@Param('code') code: string) {
    const program = this.catalog.program(code);
    if (!program) throw new NotFoundException(`unknown program "${code}"`);
    return programView(program);
  }

  @Get('totals')
  @ApiOperation({
    summary: 'Per-program totals by fiscal year: approved, paid, reversed, net; persons (人数) and person-times (人次)',
  })
  @ApiQuery({ name: 'fiscalYear', required: false, example: 2022 })
  @ApiQuery({ name: 'programCode', required: false })
  @ApiQuery({ name: 'schoolCode', required: false })
  @ApiQuery({ name: 'stage', required: false, enum: STAGES })
  @ApiQuery({ name: 'period', required: false, description: 'term or school year, e.g. 2022-autumn' })
  @ApiQuery({ name: 'groupBy', required: false, enum: TOTALS_GROUPINGS })
  @ApiQuery({ name: 'valuedUpTo', required: false, description: 'only aid valued on or before this day: payments, loans, repayments, budgets by value date, approvals by approval date, a reversal from its own value date; by replay' })
  @ApiQuery({ name: 'recordedBy', required: false, description: 'the ledger as recorded by the end of this day (China time), by replay; with valuedUpTo, both apply' })
  @ApiQuery({ name: 'asOfPosition', required: false, description: 'the ledger as recorded up to this log position, by replay' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv', 'xlsx'], description: 'the table as the report prints it, for download' })
  async totals(@Query() query: Record<string, string | undefined>) {
    // asOf is refused with its own message (see point-in-time.ts), not as an unknown parameter.
    const { asOf, ...named } = query;
    const { valuedUpTo, recordedBy, asOfPosition, format = 'json', ...filters } = named;
    const problems = unknownParameterProblems(named, TOTALS_PARAMETERS);
    const filter = readTotalsFilter(filters, this.catalog, problems);
    const limit = readPointInTime({ asOf, valuedUpTo, recordedBy, asOfPosition }, asOfPosition === undefined ? undefined : await this.store.headPosition(), problems);
    if (!['json', 'csv', 'xlsx'].includes(format)) problems.push({ field: 'format', message: 'format must be json, csv or xlsx' });
    if (problems.length) throw new RequestInvalidError(problems);
    const replayed = limit && (await this.readSide.asOf(limit, (db) => queryProgramTotals(db, filter), [programTotalsProjection]));
    if (format !== 'json') {
      const rows = replayed ? replayed.answer : queryProgramTotals(await this.readSide.current(), filter);
      const table = totalsTable(rows, this.catalog);
      if (format === 'csv') return new Download('text/csv; charset=utf-8', 'totals.csv', csvForExcel(table, { header: true }));
      return new Download('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'totals.xlsx', await totalsXlsx(table));
    }
    const basis = 'fiscal year = calendar year of the value date; reversals net against the payment they reverse; students = distinct students with a net payment';
    if (limit && replayed) {
      return {
        basis: `${basis}; ${pointInTimeBasis(limit)}`,
        pointInTime: { ...(limit.valuedUpTo && { valuedUpTo: limit.valuedUpTo }), ...(limit.recordedBy && { recordedBy: limit.recordedBy }), ...(limit.untilPosition !== undefined && { asOfPosition: limit.untilPosition.toString() }) },
        asOfPosition: replayed.lastPosition.toString(),
        eventsReplayed: replayed.events,
        eventsValuedLater: replayed.valuedLater,
        filter,
        totals: replayed.answer.map((row) => totalsView(row, this.catalog)),
      };
    }
    const totals = await this.readSide.remembered(`totals:${JSON.stringify(filter)}`, (db) => queryProgramTotals(db, filter).map((row) => totalsView(row, this.catalog)));
    return { basis, asOfPosition: this.readSide.checkpoint.toString(), filter, totals };
  }

  @Get('budgets')
  @ApiOperation({ summary: 'Budget allocations by program, fiscal year and funding source' })
  @ApiQuery({ name: 'fiscalYear', required: false, example: 2022 })
  @ApiQuery({ name: 'programCode', required: false })
  async budgets(@Query() query: Record<string, string | undefined>) {
    const { fiscalYear, programCode } = query;
    const problems = unknownParameterProblems(query, ['fiscalYear', 'programCode']);
    if (fiscalYear !== undefined && !/^\d{4}$/.test(fiscalYear)) problems.push({ field: 'fiscalYear', message: 'fiscalYear must be a year such as 2022' });
    const programProblem = programCodeProblem(this.catalog, programCode);
    if (programProblem) problems.push(programProblem);
    if (problems.length) throw new RequestInvalidError(problems);
    const rows = queryBudgets(await this.readSide.current(), {
      ...(fiscalYear && { fiscalYear: Number(fiscalYear) }),
      ...(programCode && { programCode }),
    });
    return { budgets: rows.map((row) => ({ ...row, allocated: money(row.allocated) })) };
  }

  @Get('beneficiaries/:studentKey/history')
  @ApiOperation({ summary: "Every event of one student's record, with who recorded it and when, by any of the student's identifiers (resident ID or student number)" })
  async history(@Param('studentKey') studentKey: string) {
    const student = identityFromKey(studentKey.toUpperCase());
    const key = (await this.students.recordKeyOf(student)) ?? student.key;
    const entries = queryBeneficiaryHistory(await this.readSide.current(), key);
    if (entries.length === 0) throw new NotFoundException(`no record for student ${key}`);
    return {
      studentKey: key,
      events: entries.map((entry) => ({ ...entry, position: entry.position.toString() })),
    };
  }
}

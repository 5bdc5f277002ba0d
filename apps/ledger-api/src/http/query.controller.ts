import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { STAGES } from '@ledger/domain';
import { TOTALS_GROUPINGS } from '@ledger/projections';
import { BeneficiaryHistoryQuery, BudgetAllocationsQuery, ProgramCatalogQuery, ProgramQuery, ProgramTotalsQuery, refuseProblems, unknownParameterProblems } from '@ledger/application';
import type { Actor } from '@ledger/application';
import { Download, PURPOSE_HEADER, withRecordCount } from '../edge/replies';
import { CurrentActor } from '../edge/request-context';

/** What bureau staff, officers and auditors read: the catalog, totals, budgets, a student's history. */
@ApiTags('read')
@Controller()
export class QueryController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('programs')
  @ApiOperation({ summary: 'The program catalog: names, kinds, stages, standards, exclusions' })
  programs() {
    return this.queryBus.execute(new ProgramCatalogQuery());
  }

  @Get('programs/:code')
  @ApiOperation({ summary: 'One program of the catalog' })
  async program(@Param('code') code: string) {
    const program = await this.queryBus.execute(new ProgramQuery(code));
    if (!program) throw new NotFoundException(`unknown program "${code}"`);
    return program;
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
    const answer = await this.queryBus.execute(new ProgramTotalsQuery(query));
    if (answer.format === 'csv') return new Download('text/csv; charset=utf-8', 'totals.csv', answer.body);
    if (answer.format === 'xlsx') return new Download('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'totals.xlsx', answer.body);
    return answer.body;
  }

  @Get('budgets')
  @ApiOperation({ summary: 'Budget allocations by program, fiscal year and funding source' })
  @ApiQuery({ name: 'fiscalYear', required: false, example: 2022 })
  @ApiQuery({ name: 'programCode', required: false })
  async budgets(@Query() query: Record<string, string | undefined>) {
    return this.queryBus.execute(new BudgetAllocationsQuery(query));
  }

  @Get('beneficiaries/:studentKey/history')
  @ApiHeader(PURPOSE_HEADER)
  @ApiOperation({ summary: "Every event of one student's record, with who recorded it and when, by any of the student's identifiers (resident ID or student number)" })
  async history(@Param('studentKey') studentKey: string, @Query() query: Record<string, string | undefined>, @CurrentActor() actor: Actor) {
    // It takes no parameter: one would only carry text into the request log and the record of processing.
    refuseProblems(unknownParameterProblems(query, []));
    const history = await this.queryBus.execute(new BeneficiaryHistoryQuery(studentKey, { role: actor.role }));
    if (history.events.length === 0) throw new NotFoundException(`no record for student ${history.studentKey}`);
    // One student's record.
    return withRecordCount(history, 1);
  }
}

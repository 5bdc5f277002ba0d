import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DeclaredReportsQuery, ReconciliationQuery } from '@ledger/application';
import { Download } from '../edge/replies';

/** Published reports and their reconciliation with the ledger. */
@ApiTags('reports')
@ApiBearerAuth()
@Controller('reports')
export class ReportsController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @ApiOperation({ summary: 'The declared (published) reports the ledger can be reconciled with' })
  list() {
    return this.queryBus.execute(new DeclaredReportsQuery());
  }

  @Get(':id/reconciliation')
  @ApiOperation({ summary: 'Every line of the report against the ledger (count, amount, difference, status, reasons) and the report against itself' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv', 'xlsx'] })
  @ApiProduces('application/json', 'text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
  async reconciliation(@Param('id') id: string, @Query() query: Record<string, string | undefined>) {
    const answer = await this.queryBus.execute(new ReconciliationQuery(id, query));
    if (!answer) throw new NotFoundException(`no declared report "${id}"`);
    if (answer.format === 'csv') return new Download('text/csv; charset=utf-8', `${id}-reconciliation.csv`, answer.body);
    if (answer.format === 'xlsx') return new Download('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', `${id}-reconciliation.xlsx`, answer.body);
    return answer.body;
  }
}

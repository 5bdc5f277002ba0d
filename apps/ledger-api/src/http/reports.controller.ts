import { Controller, Get, NotFoundException, Param, Query, Res, StreamableFile } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DeclaredReportsQuery, ReconciliationQuery } from '@ledger/application';

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
  async reconciliation(@Param('id') id: string, @Res({ passthrough: true }) response: Response, @Query() query: Record<string, string | undefined>) {
    const answer = await this.queryBus.execute(new ReconciliationQuery(id, query));
    if (!answer) throw new NotFoundException(`no declared report "${id}"`);
    if (answer.format === 'csv') {
      response.type('text/csv; charset=utf-8').setHeader('Content-Disposition', `attachment; filename="${id}-reconciliation.csv"`);
      return answer.body;
    }
    if (answer.format === 'xlsx') {
      response.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').setHeader('Content-Disposition', `attachment; filename="${id}-reconciliation.xlsx"`);
      return new StreamableFile(answer.body);
    }
    return answer.body;
  }
}

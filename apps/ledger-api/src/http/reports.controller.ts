import { Controller, Get, Inject, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CATALOG, DECLARED_REPORTS, reconcile, reconciliationCsv, reconciliationXlsx } from '@ledger/application';
import { DeclaredReport, ProgramCatalog } from '@ledger/domain';
import { ReadSide } from '../queries/read-side.service';
import { Download } from '../edge/replies';
import { RequestInvalidError } from './problem-details.filter';
import { unknownParameterProblems } from './query-parameters';

/** Published reports and their reconciliation with the ledger. */
@ApiTags('reports')
@ApiBearerAuth()
@Controller('reports')
export class ReportsController {
  constructor(
    private readonly readSide: ReadSide,
    @Inject(CATALOG) private readonly catalog: ProgramCatalog,
    @Inject(DECLARED_REPORTS) private readonly reports: DeclaredReport[],
  ) {}

  @Get()
  @ApiOperation({ summary: 'The declared (published) reports the ledger can be reconciled with' })
  list() {
    return { reports: this.reports.map((report) => ({ id: report.id, title: report.title, published: report.published, lines: report.lines.length })) };
  }

  @Get(':id/reconciliation')
  @ApiOperation({ summary: 'Every line of the report against the ledger (count, amount, difference, status, reasons) and the report against itself' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv', 'xlsx'] })
  @ApiProduces('application/json', 'text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
  async reconciliation(@Param('id') id: string, @Query() query: Record<string, string | undefined>) {
    const report = this.reports.find((candidate) => candidate.id === id);
    if (!report) throw new NotFoundException(`no declared report "${id}"`);
    const { format = 'json' } = query;
    const problems = unknownParameterProblems(query, ['format']);
    if (!['json', 'csv', 'xlsx'].includes(format)) problems.push({ field: 'format', message: 'format must be json, csv or xlsx' });
    if (problems.length) throw new RequestInvalidError(problems);
    const result = reconcile(report, this.catalog, await this.readSide.current());
    if (format === 'csv') return new Download('text/csv; charset=utf-8', `${id}-reconciliation.csv`, reconciliationCsv(result));
    if (format === 'xlsx') return new Download('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', `${id}-reconciliation.xlsx`, await reconciliationXlsx(result));
    return result;
  }
}

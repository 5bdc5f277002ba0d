import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AnomaliesQuery, LogExportQuery, PersonalDataAccessQuery } from '@ledger/application';
import { Download, PURPOSE_HEADER, Streamed, withRecordCount } from '../edge/replies';

/** The auditor's reports: anomalies (JSON or CSV) and the whole log with its hashes (NDJSON, streamed). */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditReportsController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('anomalies')
  @ApiHeader(PURPOSE_HEADER)
  @ApiOperation({ summary: 'Anomalies auditors look for, each naming the events behind it (replayed from the log)' })
  @ApiQuery({ name: 'valuedUpTo', required: false, description: 'only the aid valued on or before this day (as GET /totals)' })
  @ApiQuery({ name: 'recordedBy', required: false, description: 'the log as recorded by the end of this day (China time)' })
  @ApiQuery({ name: 'asOfPosition', required: false, description: 'the log as recorded up to this position' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv'] })
  @ApiProduces('application/json', 'text/csv')
  async anomalies(@Query() query: Record<string, string | undefined>) {
    const answer = await this.queryBus.execute(new AnomaliesQuery(query));
    if (answer.format === 'csv') return withRecordCount(new Download('text/csv; charset=utf-8', 'anomalies.csv', answer.body, true), answer.count);
    return withRecordCount(answer.body, (answer.body.anomalies as unknown[]).length);
  }

  @Get('personal-data-access')
  @ApiOperation({
    summary:
      'The record of processing: every answer sent with personal data unmasked — who (actor), when, through which route, the request path with identifiers redacted, the format, the number of records and the purpose given (X-Purpose); oldest first',
  })
  @ApiQuery({ name: 'from', required: false, description: 'recorded on or after this day (YYYY-MM-DD, China time)' })
  @ApiQuery({ name: 'to', required: false, description: 'recorded on or before this day (YYYY-MM-DD, China time)' })
  @ApiQuery({ name: 'actor', required: false, description: 'a user id' })
  @ApiQuery({ name: 'route', required: false, description: 'as recorded, e.g. GET /disbursements/:disbursementId' })
  @ApiQuery({ name: 'after', required: false, description: 'the nextAfter of the previous page (a log position)' })
  @ApiQuery({ name: 'limit', required: false, description: 'disclosures a page (1–1000, default 100)' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv'] })
  @ApiProduces('application/json', 'text/csv')
  async personalDataAccess(@Query() query: Record<string, string | undefined>) {
    const answer = await this.queryBus.execute(new PersonalDataAccessQuery(query));
    if (answer.format === 'csv') return new Download('text/csv; charset=utf-8', 'personal-data-access.csv', answer.body);
    return answer.body;
  }

  @Get('export')
  @ApiHeader(PURPOSE_HEADER)
  @ApiOperation({ summary: 'The whole log with each event’s recomputed hash and leaf index, one JSON object a line (NDJSON)' })
  @ApiProduces('application/x-ndjson')
  async export() {
    return new Streamed('application/x-ndjson; charset=utf-8', await this.queryBus.execute(new LogExportQuery()), 'ledger.ndjson', true);
  }
}

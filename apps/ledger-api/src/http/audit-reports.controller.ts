import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CATALOG, EVENT_STORE, anomaliesCsv, exportLogLines } from '@ledger/application';
import { ANOMALY_KINDS, ProgramCatalog } from '@ledger/domain';
import { EventStore } from '@ledger/event-store';
import { anomaliesProjection, pointInTimeBasis, queryAnomalies } from '@ledger/projections';
import { ReadSide } from '../queries/read-side.service';
import { Download, Streamed } from '../edge/replies';
import { RequestInvalidError } from './problem-details.filter';
import { POINT_IN_TIME_PARAMETERS, readPointInTime } from './point-in-time';
import { unknownParameterProblems } from './query-parameters';

/** The auditor's reports: anomalies (JSON or CSV) and the whole log with its hashes (NDJSON, streamed). */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditReportsController {
  constructor(
    private readonly readSide: ReadSide,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CATALOG) private readonly catalog: ProgramCatalog,
  ) {}

  @Get('anomalies')
  @ApiOperation({ summary: 'Anomalies auditors look for, each naming the events behind it (replayed from the log)' })
  @ApiQuery({ name: 'valuedUpTo', required: false, description: 'only the aid valued on or before this day (as GET /totals)' })
  @ApiQuery({ name: 'recordedBy', required: false, description: 'the log as recorded by the end of this day (China time)' })
  @ApiQuery({ name: 'asOfPosition', required: false, description: 'the log as recorded up to this position' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv'] })
  @ApiProduces('application/json', 'text/csv')
  async anomalies(@Query() query: Record<string, string | undefined>) {
    const { format = 'json', asOf, ...named } = query;
    const problems = unknownParameterProblems(named, [...POINT_IN_TIME_PARAMETERS, 'format']);
    if (!['json', 'csv'].includes(format)) problems.push({ field: 'format', message: 'format must be json or csv' });
    const limit = readPointInTime({ ...named, asOf }, named.asOfPosition === undefined ? undefined : await this.store.headPosition(), problems) ?? {};
    if (problems.length) throw new RequestInvalidError(problems);
    const { answer, events, lastPosition } = await this.readSide.asOf(limit, queryAnomalies, [anomaliesProjection(this.catalog)]);
    if (format === 'csv') return new Download('text/csv; charset=utf-8', 'anomalies.csv', anomaliesCsv(answer), true);
    return { basis: pointInTimeBasis(limit), eventsChecked: events, lastPosition: lastPosition.toString(), kinds: ANOMALY_KINDS, anomalies: answer };
  }

  @Get('export')
  @ApiOperation({ summary: 'The whole log with each event’s recomputed hash and leaf index, one JSON object a line (NDJSON)' })
  @ApiProduces('application/x-ndjson')
  export() {
    return new Streamed('application/x-ndjson; charset=utf-8', exportLogLines(this.store), 'ledger.ndjson', true);
  }
}

import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { once } from 'node:events';
import { CATALOG, EVENT_STORE, anomaliesCsv, exportLogLines } from '@ledger/application';
import { ANOMALY_KINDS, ProgramCatalog, parseLocalDate } from '@ledger/domain';
import { EventStore } from '@ledger/event-store';
import { anomaliesProjection, queryAnomalies } from '@ledger/projections';
import { ReadSide } from '../queries/read-side.service';
import { RequestInvalidError } from './problem-details.filter';

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
  @ApiQuery({ name: 'asOf', required: false, description: 'as the ledger stood at the end of this day' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv'] })
  @ApiProduces('application/json', 'text/csv')
  async anomalies(@Res({ passthrough: true }) response: Response, @Query('asOf') asOf?: string, @Query('format') format = 'json') {
    if (!['json', 'csv'].includes(format)) throw new RequestInvalidError([{ field: 'format', message: 'format must be json or csv' }]);
    let untilDate: string | undefined;
    try {
      if (asOf !== undefined) untilDate = parseLocalDate(asOf, 'asOf');
    } catch {
      throw new RequestInvalidError([{ field: 'asOf', message: 'asOf must be a date YYYY-MM-DD' }]);
    }
    const { answer, events, lastPosition } = await this.readSide.asOf({ ...(untilDate && { untilDate }) }, queryAnomalies, [anomaliesProjection(this.catalog)]);
    if (format === 'csv') {
      response.type('text/csv; charset=utf-8').setHeader('Content-Disposition', 'attachment; filename="anomalies.csv"');
      return anomaliesCsv(answer);
    }
    return { eventsChecked: events, lastPosition: lastPosition.toString(), kinds: ANOMALY_KINDS, anomalies: answer };
  }

  @Get('export')
  @ApiOperation({ summary: 'The whole log with each event’s recomputed hash and leaf index, one JSON object a line (NDJSON)' })
  @ApiProduces('application/x-ndjson')
  async export(@Res() response: Response) {
    response.status(200).type('application/x-ndjson; charset=utf-8').setHeader('Content-Disposition', 'attachment; filename="ledger.ndjson"');
    for await (const line of exportLogLines(this.store)) if (!response.write(line)) await once(response, 'drain');
    response.end();
  }
}

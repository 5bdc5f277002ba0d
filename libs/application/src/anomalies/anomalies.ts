import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { ANOMALY_KINDS, Anomaly, ProgramCatalog } from '@ledger/domain';
import { EventStore } from '@ledger/event-store';
import { ReplayLimit, anomaliesProjection, pointInTimeBasis, queryAnomalies } from '@ledger/projections';
import { CATALOG, EVENT_STORE } from '../tokens';
import { ReadSide } from '../read-side';
import { anomaliesCsv } from '../audit-reports';
import { POINT_IN_TIME_PARAMETERS, readPointInTime } from '../point-in-time';
import { formatProblem, refuseProblems, unknownParameterProblems } from '../query-parameters';

export type AnomaliesAnswer = { format: 'json'; body: Record<string, unknown> } | { format: 'csv'; body: string; count: number };

/** The anomalies auditors look for, each naming the events behind it, replayed from the log (at a point in time, as the query string says). */
export class AnomaliesQuery extends Query<AnomaliesAnswer> {
  constructor(readonly parameters: Record<string, string | undefined>) {
    super();
  }
}

@QueryHandler(AnomaliesQuery)
export class AnomaliesHandler implements IQueryHandler<AnomaliesQuery, AnomaliesAnswer> {
  constructor(
    private readonly readSide: ReadSide,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CATALOG) private readonly catalog: ProgramCatalog,
  ) {}

  async execute({ parameters }: AnomaliesQuery): Promise<AnomaliesAnswer> {
    const { format = 'json', asOf, ...named } = parameters;
    const problems = unknownParameterProblems(named, [...POINT_IN_TIME_PARAMETERS, 'format']);
    const badFormat = formatProblem(format, ['json', 'csv']);
    if (badFormat) problems.push(badFormat);
    const limit = readPointInTime({ ...named, asOf }, named.asOfPosition === undefined ? undefined : await this.store.headPosition(), problems) ?? {};
    refuseProblems(problems);
    const { answer, events, lastPosition } = await this.readSide.asOf(limit, queryAnomalies, [anomaliesProjection(this.catalog)]);
    if (format === 'csv') return { format, body: anomaliesCsv(answer), count: answer.length };
    return { format: 'json', body: { basis: pointInTimeBasis(limit), eventsChecked: events, lastPosition: lastPosition.toString(), kinds: ANOMALY_KINDS, anomalies: answer } };
  }
}

/** The anomalies on a replay of the log to a point in time (the CLI's `anomalies`), with the replay's progress. */
export class ReplayedAnomaliesQuery extends Query<{ anomalies: Anomaly[]; events: number; valuedLater: number; lastPosition: bigint }> {
  constructor(
    readonly limit: ReplayLimit,
    readonly onProgress?: (events: number) => void,
  ) {
    super();
  }
}

@QueryHandler(ReplayedAnomaliesQuery)
export class ReplayedAnomaliesHandler implements IQueryHandler<ReplayedAnomaliesQuery> {
  constructor(
    private readonly readSide: ReadSide,
    @Inject(CATALOG) private readonly catalog: ProgramCatalog,
  ) {}

  async execute({ limit, onProgress }: ReplayedAnomaliesQuery) {
    const { answer, ...replay } = await this.readSide.asOf(limit, queryAnomalies, [anomaliesProjection(this.catalog)], onProgress);
    return { anomalies: answer, ...replay };
  }
}

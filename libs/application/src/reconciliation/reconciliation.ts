import { Inject, Optional } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { DeclaredReport, ProgramCatalog } from '@ledger/domain';
import { CATALOG, DECLARED_REPORTS } from '../tokens';
import { ReadSide } from '../read-side';
import { Reconciliation, reconcile, reconciliationCsv, reconciliationXlsx } from '../reconcile';
import { formatProblem, refuseProblems, unknownParameterProblems } from '../query-parameters';

/** The declared (published) reports the ledger can be reconciled with. */
export class DeclaredReportsQuery extends Query<{ reports: Array<{ id: string; title: DeclaredReport['title']; published: DeclaredReport['published']; lines: number }> }> {}

export type ReconciliationAnswer = { format: 'json'; body: Reconciliation } | { format: 'csv'; body: string } | { format: 'xlsx'; body: Buffer };

/** Every line of a declared report against the ledger, and the report against itself; undefined for a report not declared. */
export class ReconciliationQuery extends Query<ReconciliationAnswer | undefined> {
  constructor(
    readonly reportId: string,
    readonly parameters: Record<string, string | undefined>,
  ) {
    super();
  }
}

@QueryHandler(DeclaredReportsQuery)
export class DeclaredReportsHandler implements IQueryHandler<DeclaredReportsQuery> {
  // Optional: the CLI reads the reports from their files when it reconciles (see the reconcile command).
  constructor(@Optional() @Inject(DECLARED_REPORTS) private readonly reports: DeclaredReport[] = []) {}
  async execute() {
    return { reports: this.reports.map((report) => ({ id: report.id, title: report.title, published: report.published, lines: report.lines.length })) };
  }
}

@QueryHandler(ReconciliationQuery)
export class ReconciliationHandler implements IQueryHandler<ReconciliationQuery, ReconciliationAnswer | undefined> {
  constructor(
    private readonly readSide: ReadSide,
    @Inject(CATALOG) private readonly catalog: ProgramCatalog,
    @Optional() @Inject(DECLARED_REPORTS) private readonly reports: DeclaredReport[] = [],
  ) {}

  async execute({ reportId, parameters }: ReconciliationQuery): Promise<ReconciliationAnswer | undefined> {
    const report = this.reports.find((candidate) => candidate.id === reportId);
    if (!report) return undefined;
    const { format = 'json' } = parameters;
    const problems = unknownParameterProblems(parameters, ['format']);
    const badFormat = formatProblem(format, ['json', 'csv', 'xlsx']);
    if (badFormat) problems.push(badFormat);
    refuseProblems(problems);
    const result = reconcile(report, this.catalog, await this.readSide.current());
    if (format === 'csv') return { format, body: reconciliationCsv(result) };
    if (format === 'xlsx') return { format, body: await reconciliationXlsx(result) };
    return { format: 'json', body: result };
  }
}

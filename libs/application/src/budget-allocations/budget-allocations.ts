import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { ProgramCatalog } from '@ledger/domain';
import { queryBudgets } from '@ledger/projections';
import { CATALOG } from '../tokens';
import { ReadSide } from '../read-side';
import { money } from '../program-totals/program-totals';
import { fiscalYearProblem, programCodeProblem, refuseProblems, unknownParameterProblems } from '../query-parameters';

/** Budget allocations by program, fiscal year and funding source, filtered by the query string's `fiscalYear` and `programCode`. */
export class BudgetAllocationsQuery extends Query<{ budgets: Array<Record<string, unknown>> }> {
  constructor(readonly parameters: Record<string, string | undefined>) {
    super();
  }
}

@QueryHandler(BudgetAllocationsQuery)
export class BudgetAllocationsHandler implements IQueryHandler<BudgetAllocationsQuery> {
  constructor(
    private readonly readSide: ReadSide,
    @Inject(CATALOG) private readonly catalog: ProgramCatalog,
  ) {}

  async execute({ parameters }: BudgetAllocationsQuery) {
    const { fiscalYear, programCode } = parameters;
    const problems = unknownParameterProblems(parameters, ['fiscalYear', 'programCode']);
    for (const problem of [fiscalYearProblem(fiscalYear), programCodeProblem(this.catalog, programCode)]) if (problem) problems.push(problem);
    refuseProblems(problems);
    const rows = queryBudgets(await this.readSide.current(), {
      ...(fiscalYear && { fiscalYear: Number(fiscalYear) }),
      ...(programCode && { programCode }),
    });
    return { budgets: rows.map((row) => ({ ...row, allocated: money(row.allocated) })) };
  }
}

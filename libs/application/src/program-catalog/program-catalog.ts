import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { Program, ProgramCatalog } from '@ledger/domain';
import { CATALOG } from '../tokens';

function programView(program: Program) {
  return {
    code: program.code,
    name: program.name,
    kind: program.kind,
    stages: program.stages,
    period: program.period,
    payee: program.payee,
    excludes: program.excludes,
    fundingSources: program.fundingSources,
    openFrom: program.openFrom,
    ...(program.openUntil && { openUntil: program.openUntil }),
    standards: program.standards.map((standard) => ({
      from: standard.from,
      rule: standard.rule,
      amounts: Object.fromEntries(Object.entries(standard.amounts).map(([stage, amounts]) => [stage, amounts!.map(String)])),
    })),
    retention: program.retention,
    ...(program.notes && { notes: program.notes }),
  };
}

export type ProgramView = ReturnType<typeof programView>;

/** The program catalog: names, kinds, stages, standards, exclusions, and the funding sources. */
export class ProgramCatalogQuery extends Query<{ fundingSources: ProgramCatalog['fundingSources']; programs: ProgramView[] }> {}

/** One program of the catalog, undefined for a code the catalog does not hold. */
export class ProgramQuery extends Query<ProgramView | undefined> {
  constructor(readonly code: string) {
    super();
  }
}

@QueryHandler(ProgramCatalogQuery)
export class ProgramCatalogHandler implements IQueryHandler<ProgramCatalogQuery> {
  constructor(@Inject(CATALOG) private readonly catalog: ProgramCatalog) {}
  async execute() {
    return { fundingSources: this.catalog.fundingSources, programs: this.catalog.programs.map(programView) };
  }
}

@QueryHandler(ProgramQuery)
export class ProgramHandler implements IQueryHandler<ProgramQuery, ProgramView | undefined> {
  constructor(@Inject(CATALOG) private readonly catalog: ProgramCatalog) {}
  async execute({ code }: ProgramQuery): Promise<ProgramView | undefined> {
    const program = this.catalog.program(code);
    return program && programView(program);
  }
}

import { FieldProblem, ProgramCatalog } from '@ledger/domain';

/** A problem for each parameter a query route does not take: a misspelt filter would otherwise filter nothing, without a word. */
export function unknownParameterProblems(query: Record<string, unknown>, allowed: readonly string[]): FieldProblem[] {
  return Object.keys(query)
    .filter((key) => !allowed.includes(key))
    .map((field) => ({ field, message: `unknown parameter; ${allowed.length === 0 ? 'this route takes none' : `parameters are ${allowed.join(', ')}`}` }));
}

/** The problem with a `programCode` filter that names no program of the catalog (an answer for it would be empty). */
export function programCodeProblem(catalog: ProgramCatalog, programCode: string | undefined): FieldProblem | undefined {
  if (programCode === undefined || catalog.program(programCode)) return undefined;
  return { field: 'programCode', message: `programCode must be a program of the catalog: ${catalog.programs.map((program) => program.code).join(', ')}` };
}

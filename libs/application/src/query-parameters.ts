import { DomainError, FieldProblem, ProgramCatalog } from '@ledger/domain';

/** A problem for each parameter a query route does not take: a misspelt filter would otherwise filter nothing, without a word. */
export function unknownParameterProblems(query: Record<string, unknown>, allowed: readonly string[]): FieldProblem[] {
  return Object.keys(query)
    .filter((key) => !allowed.includes(key))
    // A parameter's name is named back only when it is one as routes take them: `?654002…` is not echoed.
    .map((key) => ({ field: /^[A-Za-z_][\w.-]{0,63}$/.test(key) ? key : 'query', message: `unknown parameter; ${allowed.length === 0 ? 'this route takes none' : `parameters are ${allowed.join(', ')}`}` }));
}

/** The problem with a `programCode` filter that names no program of the catalog (an answer for it would be empty). */
export function programCodeProblem(catalog: ProgramCatalog, programCode: string | undefined): FieldProblem | undefined {
  if (programCode === undefined || catalog.program(programCode)) return undefined;
  return { field: 'programCode', message: `programCode must be a program of the catalog: ${catalog.programs.map((program) => program.code).join(', ')}` };
}

/** A query whose parameters are wrong: 400 REQUEST_INVALID, every field at fault named (nothing is echoed: a parameter may hold anything). */
export class ParametersInvalid extends DomainError {
  static readonly code = 'REQUEST_INVALID';
  constructor(readonly fieldProblems: FieldProblem[]) {
    super(ParametersInvalid.code, 'invalid', fieldProblems.map((problem) => `${problem.field}: ${problem.message}`).join('; '), fieldProblems[0]?.field);
  }

  override get problems(): FieldProblem[] {
    return this.fieldProblems;
  }
}

/** Throws ParametersInvalid when any problem was found. */
export function refuseProblems(problems: FieldProblem[]): void {
  if (problems.length > 0) throw new ParametersInvalid(problems);
}

/** The problem with a `format` parameter that is not one of `formats`. */
export function formatProblem(format: string, formats: readonly string[]): FieldProblem | undefined {
  if (formats.includes(format)) return undefined;
  return { field: 'format', message: `format must be ${formats.length === 2 ? formats.join(' or ') : `${formats.slice(0, -1).join(', ')} or ${formats.at(-1)}`}` };
}

/** A fiscal-year parameter's problem (a year such as 2022). */
export function fiscalYearProblem(fiscalYear: string | undefined): FieldProblem | undefined {
  return fiscalYear !== undefined && !/^\d{4}$/.test(fiscalYear) ? { field: 'fiscalYear', message: 'fiscalYear must be a year such as 2022' } : undefined;
}

/** A whole-number parameter (a tree size), undefined when not given; ParametersInvalid when it is not a whole number. */
export function wholeNumberParameter(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,12}$/.test(value)) throw new ParametersInvalid([{ field, message: `${field} must be a whole number` }]);
  return Number(value);
}

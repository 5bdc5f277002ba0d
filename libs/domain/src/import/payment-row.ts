import { requireOpen, requirePayee, requirePeriodBasis, requireStage, requireWithinStandard } from '../beneficiary/aid-rules';
import { RecordDisbursement, parseRecordDisbursement } from '../beneficiary/beneficiary.commands';
import { ProgramCatalog } from '../catalog';
import { DomainError, InvalidResidentId, InvalidStudentNumber, UnknownProgram } from '../errors';
import { gb11643CheckCharacter } from '../identifiers';
import { ListCell, cellText, findProgram, readAmount, readDate, readPayeeType, readPeriod, readStage, shortened } from './cell-values';
import type { ImportField } from './payment-list';

/**
 * One row of a payment list read as the write path's RecordDisbursement, with the same parser; or
 * every problem the row has — each field checked on its own, not only the first bad one.
 */

export interface RowProblem {
  /** The field at fault, whose column the report names. */
  field: ImportField;
  code: string;
  message: string;
}

/** The import field of a parser's or the decider's error field (`student.residentId` is the 身份证号 column). */
const FIELD_OF_ERROR: Record<string, ImportField> = {
  'student.residentId': 'residentId',
  'student.studentNumber': 'studentNumber',
  'student.name': 'name',
  student: 'residentId',
  'payee.type': 'payeeType',
  'payee.name': 'payeeName',
  'payee.account': 'account',
  payee: 'payeeType',
};

export function importFieldOf(error: DomainError, fallback: ImportField): ImportField {
  const field = error.field ?? '';
  return FIELD_OF_ERROR[field] ?? ((field as ImportField) || fallback);
}

const problemOf = (error: DomainError, fallback: ImportField): RowProblem => ({ field: importFieldOf(error, fallback), code: error.code, message: error.message });

type DisbursementInput = Parameters<typeof parseRecordDisbursement>[0];

/** A payment the parser accepts: each field of a bad row is put in it alone, to find that field's own problem. */
const SOUND_INPUT: DisbursementInput = (() => {
  const first17 = '65400220110101001';
  return {
    disbursementId: 'sound-1',
    student: { residentId: first17 + gb11643CheckCharacter(first17) },
    schoolCode: '2165000001',
    stage: 'primary',
    programCode: 'SOUND',
    period: '2022-autumn',
    amount: '1.00',
    payee: { type: 'student' },
    valueDate: '2022-10-20',
  };
})();

/** Columns that hold long digit strings: as number cells Excel keeps only 15 digits of them. */
const DIGIT_FIELDS: readonly ImportField[] = ['residentId', 'studentNumber', 'account'];

/**
 * The row's RecordDisbursement, or its problems. `cell` gives the row's cell of a field ('' when the
 * file has no such column); `defaultDisbursementId` is used when the list has no 编号 column.
 */
export function readPaymentRow(
  cell: (field: ImportField) => ListCell,
  defaultDisbursementId: string,
  catalog: ProgramCatalog,
): { command: RecordDisbursement; problems?: undefined } | { command?: undefined; problems: RowProblem[] } {
  const problems: RowProblem[] = [];
  const text = (field: ImportField) => cellText(cell(field));
  const read = (field: ImportField, reader: () => string): string | undefined => {
    try {
      return reader();
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      problems.push(problemOf(error, field));
      return undefined;
    }
  };

  // An 18-digit ID in a number cell has lost its last digits (Excel keeps 15): it may even pass its check.
  for (const field of DIGIT_FIELDS) {
    const value = cell(field);
    if (typeof value === 'number' && Math.abs(value) >= 1e15) {
      const message = `${field} is a number cell, of which Excel keeps only 15 digits (${cellText(value)}): format the column as text and enter it again`;
      problems.push(problemOf(field === 'residentId' ? new InvalidResidentId(message, field) : field === 'studentNumber' ? new InvalidStudentNumber(message, field) : new DomainError('FIELD_INVALID', 'invalid', message, field), field));
    }
  }
  const programText = text('programCode');
  const program = programText === '' ? undefined : findProgram(programText, catalog);
  if (programText !== '' && !program) {
    problems.push(problemOf(new UnknownProgram(`"${shortened(programText)}" is not a program of the catalog: write its code (e.g. YULU_PLAN), its Chinese name or one of its short names`, 'programCode'), 'programCode'));
  }
  const amount = read('amount', () => (cell('amount') === '' ? '' : readAmount(cell('amount'))));
  const valueDate = read('valueDate', () => (cell('valueDate') === '' ? '' : readDate(cell('valueDate'))));
  const input = {
    disbursementId: text('disbursementId') || defaultDisbursementId,
    student: { residentId: text('residentId') || undefined, studentNumber: text('studentNumber') || undefined, name: text('name') || undefined },
    schoolCode: text('schoolCode'),
    stage: readStage(text('stage')),
    programCode: program?.code ?? programText,
    period: readPeriod(text('period')),
    amount,
    payee: { type: text('payeeType') ? readPayeeType(text('payeeType')) : (program?.payee ?? 'student'), name: text('payeeName') || undefined, account: text('account') || undefined },
    valueDate,
    fundingSource: text('fundingSource') || undefined,
  } satisfies DisbursementInput;
  if (problems.length === 0) {
    try {
      return { command: parseRecordDisbursement(input) };
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
    }
  }

  // Each field alone in a sound payment, through the same parser: every problem of the row.
  const parts: Array<[ImportField, Partial<DisbursementInput>, boolean]> = [
    ['residentId', { student: input.student }, true],
    ['schoolCode', { schoolCode: input.schoolCode }, true],
    ['stage', { stage: input.stage }, true],
    ['programCode', { programCode: input.programCode }, programText === '' || program !== undefined],
    ['period', { period: input.period }, true],
    ['amount', { amount }, amount !== undefined],
    ['payeeType', { payee: input.payee }, true],
    ['valueDate', { valueDate }, valueDate !== undefined],
    ['disbursementId', { disbursementId: input.disbursementId }, true],
    ['fundingSource', { fundingSource: input.fundingSource }, true],
  ];
  const alreadyFound = new Set(problems.map((problem) => problem.field));
  for (const [field, part, check] of parts) {
    if (!check || alreadyFound.has(field)) continue;
    try {
      parseRecordDisbursement({ ...SOUND_INPUT, ...part });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      problems.push(problemOf(error, field));
    }
  }
  return { problems: problems.filter((problem, i) => problems.findIndex((other) => other.field === problem.field) === i || !DIGIT_FIELDS.includes(problem.field)) };
}

/** The codes of the catalog rules {@link catalogRuleProblems} checks. */
const CATALOG_RULE_CODES = new Set(['PERIOD_BASIS_MISMATCH', 'PROGRAM_NOT_OPEN', 'STAGE_NOT_ELIGIBLE', 'PAYEE_NOT_ALLOWED', 'AMOUNT_OFF_STANDARD', 'AMOUNT_OVER_CAP', 'AMOUNT_NOT_POSITIVE']);

/**
 * The problems of a row the decider refused: when it was for a catalog rule, every catalog rule the
 * row breaks (the decider stops at the first one), each on its own column; else the decider's own.
 */
export function rowRuleProblems(error: DomainError, command: RecordDisbursement, catalog: ProgramCatalog): RowProblem[] {
  const own = problemOf(error, 'amount');
  const program = catalog.program(command.data.programCode);
  if (!program || !CATALOG_RULE_CODES.has(error.code)) return [own];
  const { period, stage, amount, payee } = command.data;
  const problems: RowProblem[] = [];
  const check = (rule: () => void): boolean => {
    try {
      rule();
      return true;
    } catch (ruleError) {
      if (!(ruleError instanceof DomainError)) throw ruleError;
      problems.push(problemOf(ruleError, 'amount'));
      return false;
    }
  };
  const basis = check(() => requirePeriodBasis(program, period));
  const open = basis && check(() => requireOpen(program, period));
  const eligible = check(() => requireStage(program, stage));
  check(() => requirePayee(program, payee.type));
  if (open && eligible) check(() => requireWithinStandard(program, period, stage, amount));
  if (!problems.some((problem) => problem.code === own.code && problem.field === own.field)) problems.push(own);
  return problems;
}

import { ON_LEGAL_HOLD } from '@ledger/domain';
import { mapSealedFields } from './sealed-fields';

/** The held students an answer opened the personal fields of, carried beside it for the record of processing, never sent (JSON leaves symbols out). */
const STUDENTS_ON_HOLD = Symbol('students on legal hold');

/**
 * `answer`, marked as disclosing the personal data of these students on legal hold (to an auditor):
 * the edge sends it only with a stated purpose, and records the disclosure naming them.
 */
export function withStudentsOnHold<T extends object>(answer: T, studentKeys: readonly string[]): T {
  if (studentKeys.length === 0) return answer;
  return Object.defineProperty(answer, STUDENTS_ON_HOLD, { value: [...studentKeys], enumerable: false });
}

/** The held students an answer discloses (withStudentsOnHold); none for an answer not marked. */
export const studentsOnHoldIn = (answer: unknown): string[] =>
  answer !== null && typeof answer === 'object' ? ((answer as { [STUDENTS_ON_HOLD]?: string[] })[STUDENTS_ON_HOLD] ?? []) : [];

/** An event's data with every personal field, sealed or in clear, in the place of which a reader who may not see it reads ON_LEGAL_HOLD. */
export const heldFieldsOf = (data: unknown): unknown => mapSealedFields(data, () => ON_LEGAL_HOLD);

import { MissingStudentIdentity, StudentIdentifiersConflict, StudentIdentifiersDisagree } from '../errors';
import {
  ResidentId,
  StudentNumber,
  parseResidentId,
  parseStudentNumber,
  residentIdInStudentNumber,
} from '../identifiers';
import { parseOptionalFreeText } from '../text';
import { StudentIdentifierLinked } from './beneficiary.events';

/**
 * Who a payment is for. `key` is the record the student is filed under. As parsed, it is the key
 * a new record would get: the resident ID when known (given, or inside a `G` student number), else
 * the student number — so the same child reached by ID or by G number lands on the same record.
 * A `J` or `L` number holds no ID: which record it leads to is the ledger's to say (placeStudent).
 */
export interface StudentIdentity {
  readonly key: string;
  readonly residentId?: ResidentId;
  readonly studentNumber?: StudentNumber;
  readonly name?: string;
}

/** The longest name of a student (personal data, masked for those who need not see it). */
export const STUDENT_NAME_MAX_LENGTH = 100;

export interface StudentIdentityInput {
  residentId?: unknown;
  studentNumber?: unknown;
  name?: unknown;
}

/** Marks a student found by their record (a payment's), not named by an identifier: placed on that record as it is. */
const FILED_UNDER = Symbol('filed under its record key');

/** The student whose record is filed under `key` (found by one of their records, e.g. a payment id): no identifier to parse or place. */
export function studentFiledUnder(key: string): StudentIdentity {
  return Object.assign({ key }, { [FILED_UNDER]: true });
}

/** Whether this student was found by their record (studentFiledUnder) rather than named. */
export const isFiledUnder = (student: unknown): student is StudentIdentity => typeof student === 'object' && student !== null && FILED_UNDER in student;

/** `field`: where the identifiers are in the request (`student` in a body; '' for identifiers that stand alone, as query parameters). */
export function parseStudentIdentity(input: StudentIdentityInput | undefined, field = 'student'): StudentIdentity {
  if (isFiledUnder(input)) return input;
  const at = (name: string) => (field ? `${field}.${name}` : name);
  const residentId = input?.residentId == null ? undefined : parseResidentId(input.residentId, at('residentId'));
  const studentNumber = input?.studentNumber == null ? undefined : parseStudentNumber(input.studentNumber, at('studentNumber'));
  if (!residentId && !studentNumber) {
    throw new MissingStudentIdentity(field ? `${field} needs a residentId or a studentNumber` : 'name the student by residentId or studentNumber', field || 'residentId');
  }
  const inside = studentNumber && residentIdInStudentNumber(studentNumber);
  if (residentId && inside && inside !== residentId) {
    // Neither is echoed: the caller has both, and which of the two is wrong only the documents say.
    throw new StudentIdentifiersDisagree(`${at('studentNumber')} is a G number that holds another resident ID than ${at('residentId')}: one of them is wrong`, at('studentNumber'));
  }
  const name = parseOptionalFreeText(input?.name, at('name'), { maxLength: STUDENT_NAME_MAX_LENGTH });
  const key = residentId ?? inside ?? (studentNumber as string);
  return { key, ...(residentId && { residentId }), ...(studentNumber && { studentNumber }), ...(name && { name }) };
}

export const beneficiaryStreamId = (studentKey: string) => `beneficiary-${studentKey}`;

/** The identity to address a student's record by, from the key it is filed under (or any identifier of theirs). */
export function identityFromKey(key: string): StudentIdentity {
  return /^[GJL]/i.test(key) ? parseStudentIdentity({ studentNumber: key }) : parseStudentIdentity({ residentId: key });
}

// ---------------------------------------------------------------------------------------------
// One student, one record, whatever identifier names them.

/** One identifier a request names, and the key of the stream it has of its own. */
export interface NamedIdentifier {
  readonly field: 'residentId' | 'studentNumber';
  readonly value: string;
  /** The identifier's own key: the resident ID (also for a `G` number, which holds it), else the student number. */
  readonly key: string;
}

/** The distinct identifiers a student is named by, the resident ID first (an ID and its own G number are one). */
export function identifiersOf(student: StudentIdentity): NamedIdentifier[] {
  const named: NamedIdentifier[] = [];
  if (student.residentId) named.push({ field: 'residentId', value: student.residentId, key: student.residentId });
  if (student.studentNumber) {
    const key = residentIdInStudentNumber(student.studentNumber) ?? student.studentNumber;
    if (!named.some((identifier) => identifier.key === key)) named.push({ field: 'studentNumber', value: student.studentNumber, key });
  }
  return named;
}

/** What the ledger holds under an identifier's own key. */
export type IdentifierStanding =
  | { readonly holds: 'nothing' }
  /** The record of a student is filed under this key. */
  | { readonly holds: 'record' }
  /** A link: this identifier belongs to the student whose record is filed under `recordKey`. */
  | { readonly holds: 'link'; readonly recordKey: string };

export interface StudentPlacement {
  /** The student as named, with `key` the record they are filed under. */
  readonly student: StudentIdentity;
  /** Identifiers named for the first time: each is linked to the record, with the first event recorded there. */
  readonly links: ReadonlyArray<{ readonly key: string; readonly event: StudentIdentifierLinked }>;
}

/**
 * Which record a request lands on, from what the ledger holds under each identifier it names:
 * the record any of them already leads to (a new one, filed under the first identifier, when none
 * does); every identifier that leads nowhere yet is linked to it. Two identifiers that lead to two
 * different records are refused: the ledger cannot tell which one is right, and never merges records.
 */
export function placeStudent(student: StudentIdentity, standingOf: (key: string) => IdentifierStanding, field = 'student'): StudentPlacement {
  const at = (name: string) => (field ? `${field}.${name}` : name);
  const named = identifiersOf(student);
  const leadsTo = named.map((identifier) => {
    const standing = standingOf(identifier.key);
    return standing.holds === 'record' ? identifier.key : standing.holds === 'link' ? standing.recordKey : undefined;
  });
  const records = [...new Set(leadsTo.filter((key): key is string => key !== undefined))];
  if (records.length > 1) {
    const leads = named.map((identifier, i) => `${at(identifier.field)} ${identifier.value} leads to the record ${leadsTo[i]}`).join(', ');
    throw new StudentIdentifiersConflict(
      `${leads}: two students' records, so these cannot both be this student's identifiers; correct the request (the ledger does not merge records)`,
      named.map((identifier) => at(identifier.field)),
    );
  }
  const recordKey = records[0] ?? named[0].key;
  const placed: StudentIdentity = { ...student, key: recordKey };
  const beneficiary = {
    key: recordKey,
    ...(student.residentId && { residentId: student.residentId }),
    ...(student.studentNumber && { studentNumber: student.studentNumber }),
  };
  const links = named
    .filter((identifier, i) => leadsTo[i] === undefined && identifier.key !== recordKey)
    .map((identifier) => ({
      key: identifier.key,
      event: {
        type: 'StudentIdentifierLinked' as const,
        data: { identifier: identifier.field === 'residentId' ? { residentId: identifier.value } : { studentNumber: identifier.value }, beneficiary },
      },
    }));
  return { student: placed, links };
}

import { MissingStudentIdentity } from '../errors';
import {
  ResidentId,
  StudentNumber,
  parseResidentId,
  parseStudentNumber,
  residentIdInStudentNumber,
} from '../identifiers';

/**
 * Who a payment is for. `key` is the one identifier the ledger files a student under:
 * the resident ID when known (given, or inside a `G` student number), else the student number.
 * So the same child reached by ID or by G number lands on the same record.
 */
export interface StudentIdentity {
  readonly key: string;
  readonly residentId?: ResidentId;
  readonly studentNumber?: StudentNumber;
  readonly name?: string;
}

export interface StudentIdentityInput {
  residentId?: unknown;
  studentNumber?: unknown;
  name?: unknown;
}

export function parseStudentIdentity(input: StudentIdentityInput | undefined, field = 'student'): StudentIdentity {
  const residentId = input?.residentId == null ? undefined : parseResidentId(input.residentId, `${field}.residentId`);
  const studentNumber =
    input?.studentNumber == null ? undefined : parseStudentNumber(input.studentNumber, `${field}.studentNumber`);
  if (!residentId && !studentNumber) {
    throw new MissingStudentIdentity(`${field} needs a residentId or a studentNumber`, field);
  }
  const name = typeof input?.name === 'string' && input.name.trim() !== '' ? input.name.trim() : undefined;
  const key = residentId ?? (studentNumber && residentIdInStudentNumber(studentNumber)) ?? (studentNumber as string);
  return { key, ...(residentId && { residentId }), ...(studentNumber && { studentNumber }), ...(name && { name }) };
}

export const beneficiaryStreamId = (studentKey: string) => `beneficiary-${studentKey}`;

/** The identity to address a student's record by, from the key it is filed under. */
export function identityFromKey(key: string): StudentIdentity {
  return /^[GJL]/i.test(key) ? parseStudentIdentity({ studentNumber: key }) : parseStudentIdentity({ residentId: key });
}

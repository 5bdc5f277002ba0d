import { DisbursementNotFound, LoanNotFound, RecordIdAmbiguous, StudentIdentity, identityFromKey, studentFiledUnder } from '@ledger/domain';
import { queryDisbursements, queryLoans } from '@ledger/projections';
import { isStudentKey } from '@ledger/personal-data';
import { ReadSide } from './read-side';

/**
 * Payment and loan ids are chosen per student, not across the ledger: school lists number their
 * rows 1, 2, 3 … and every school's list would collide, and a ledger already holding such ids could
 * not be made unique without rewriting it. A write to a payment or loan that names no student finds
 * the only student holding that id; where several do, the student must be named in the body.
 */
const ambiguousInBody = (what: string, id: string, students: number) =>
  new RecordIdAmbiguous(`${students} students have a ${what} ${id}: name the student in the body, "student": {"residentId": …} or {"studentNumber": …}`, ['student']);

/** The student a record is filed under: by its opaque key (the record itself), or, in a ledger without a key store, by the identifier it is filed under. */
const filedUnder = (beneficiaryKey: string): StudentIdentity => (isStudentKey(beneficiaryKey) ? studentFiledUnder(beneficiaryKey) : identityFromKey(beneficiaryKey));

/** The student a route's path names (`/beneficiaries/:studentKey/…`, `/students/:studentKey/…`): by the record's opaque key, or by any of their identifiers. */
export function studentNamedInPath(studentKey: string): StudentIdentity {
  // Identifiers are matched upper case (a `g` or `x` typed in lower case); opaque keys are lower case.
  const asIdentifier = studentKey.toUpperCase();
  return isStudentKey(studentKey) ? studentFiledUnder(studentKey) : identityFromKey(asIdentifier);
}

function readSideOf(readSide: ReadSide | undefined): ReadSide {
  if (!readSide) throw new Error('finding a record by its id needs the read models (the service)');
  return readSide;
}

/** The student holding the payment of this id (DisbursementNotFound, or RecordIdAmbiguous when several do). */
export async function studentOfDisbursement(readSide: ReadSide | undefined, disbursementId: string): Promise<StudentIdentity> {
  const found = queryDisbursements(await readSideOf(readSide).current(), disbursementId);
  if (found.length === 0) throw new DisbursementNotFound(`no disbursement ${disbursementId}`, 'disbursementId');
  if (found.length > 1) throw ambiguousInBody('disbursement', disbursementId, found.length);
  return filedUnder(found[0].beneficiaryKey);
}

/** The student holding the loan of this id (LoanNotFound, or RecordIdAmbiguous when several do). */
export async function studentOfLoan(readSide: ReadSide | undefined, loanId: string): Promise<StudentIdentity> {
  const found = queryLoans(await readSideOf(readSide).current(), loanId);
  if (found.length === 0) throw new LoanNotFound(`no loan ${loanId}`, 'loanId');
  if (found.length > 1) throw ambiguousInBody('loan', loanId, found.length);
  return filedUnder(found[0].beneficiaryKey);
}

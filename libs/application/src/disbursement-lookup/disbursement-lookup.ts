import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { DisbursementNotFound, ON_LEGAL_HOLD, RecordIdAmbiguous, Role, parseStudentIdentity, readsPersonalDataOnHold } from '@ledger/domain';
import { DisbursementView, queryDisbursements, queryLegalHold, queryStudentNames } from '@ledger/projections';
import { withStudentsOnHold } from '../personal-data/legal-hold-reads';
import { ReadSide } from '../read-side';
import { ERASED } from '../personal-data/personal-data-vault';
import { StudentRecords } from '../student-records';
import { ParametersInvalid } from '../query-parameters';

/**
 * The query parameters that name a student beside a record id. Whether a record answers to them says
 * whether that person received aid: the API refuses them to roles that see personal data masked.
 */
export const STUDENT_QUERY_PARAMETERS: readonly string[] = ['residentId', 'studentNumber'];

/**
 * Payment ids are chosen per student, not across the ledger (school lists number their rows 1, 2,
 * 3 …): an id that several students hold is read with the student named in the query.
 */
const ambiguousInQuery = (what: string, id: string, students: number) =>
  new RecordIdAmbiguous(`${students} students have a ${what} ${id}: name the student with ?residentId=… or ?studentNumber=… (any of their identifiers)`, ['residentId', 'studentNumber']);

export interface DisbursementAnswer {
  /** The payment and its status. */
  view: Record<string, unknown> & { beneficiaryKey: string };
  /** The names the student's record knows, for the masking (a reversal reason may name the student). */
  knownNames: string[];
}

/** One payment and its status, of the student the query names (any of their identifiers), or of the only student holding that id. */
export class DisbursementLookupQuery extends Query<DisbursementAnswer> {
  constructor(
    readonly disbursementId: string,
    readonly parameters: Record<string, unknown>,
    /** Who reads: a student on legal hold has their personal fields read by an auditor alone (none known: nobody). */
    readonly reader?: { role: Role },
  ) {
    super();
  }
}

@QueryHandler(DisbursementLookupQuery)
export class DisbursementLookupHandler implements IQueryHandler<DisbursementLookupQuery, DisbursementAnswer> {
  constructor(
    private readonly readSide: ReadSide,
    private readonly records: StudentRecords,
  ) {}

  async execute({ disbursementId, parameters, reader }: DisbursementLookupQuery): Promise<DisbursementAnswer> {
    const { amount, position, reversal, ...rest } = await this.paymentNamed(disbursementId, parameters);
    const legalHold = queryLegalHold(await this.readSide.current(), rest.beneficiaryKey);
    const opens = !legalHold || readsPersonalDataOnHold(reader?.role);
    // The reversal's reason and the student's names are sealed in the log: opened here for the answer (on legal hold, for an auditor alone).
    const vault = this.records.pipeline.vault;
    const opened = (path: string, value: string) => (!opens ? ON_LEGAL_HOLD : vault ? vault.openField(rest.beneficiaryKey, path, value) : value);
    const view = {
      ...rest,
      amount: amount.toString(),
      position: position.toString(),
      ...(reversal && { reversal: { reason: opened('reason', reversal.reason), reasonCode: reversal.reasonCode, position: reversal.position.toString() } }),
    };
    const knownNames = queryStudentNames(await this.readSide.current(), rest.beneficiaryKey).map((name) => opened('beneficiary.name', name));
    // Who the record is filed under is an opaque key: the student's identifiers (and name) come from the identity index.
    const identifiers = vault ? vault.index.identifiersOf(rest.beneficiaryKey) : [];
    const student = Object.fromEntries(identifiers.map(({ kind, value }) => [kind, opens ? value : ON_LEGAL_HOLD]));
    if (knownNames.length > 0 && knownNames.at(-1) !== ERASED) student.name = knownNames.at(-1)!;
    const answer = { ...(identifiers.length > 0 ? { ...view, student } : view), ...(legalHold && { legalHold }) };
    return { view: legalHold && opens ? withStudentsOnHold(answer, [rest.beneficiaryKey]) : answer, knownNames: opens ? knownNames : [] };
  }

  /** The payment of this id, of the student the query names (through the student directory: any of their identifiers), or the only one. */
  private async paymentNamed(disbursementId: string, query: Record<string, unknown>): Promise<DisbursementView> {
    const unknown = Object.keys(query).filter((name) => !STUDENT_QUERY_PARAMETERS.includes(name));
    if (unknown.length > 0) {
      throw new ParametersInvalid(unknown.map((name) => ({ field: name, message: `${name} is not a parameter of this route: name the student with residentId or studentNumber` })));
    }
    const named = STUDENT_QUERY_PARAMETERS.some((name) => query[name] !== undefined);
    const student = named ? parseStudentIdentity({ residentId: query.residentId, studentNumber: query.studentNumber }, '') : undefined;
    const found = queryDisbursements(await this.readSide.current(), disbursementId);
    if (!student) {
      if (found.length === 0) throw new DisbursementNotFound(`no disbursement ${disbursementId}`, 'disbursementId');
      if (found.length > 1) throw ambiguousInQuery('disbursement', disbursementId, found.length);
      return found[0];
    }
    const recordKey = await this.records.directory.recordKeyOf(student, '');
    const own = found.find((payment) => payment.beneficiaryKey === recordKey);
    if (!own) throw new DisbursementNotFound(`the student named has no disbursement ${disbursementId}`, 'disbursementId');
    return own;
  }
}

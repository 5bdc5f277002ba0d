import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { Role, readsPersonalDataOnHold } from '@ledger/domain';
import { LegalHoldView, queryBeneficiaryHistory, queryLegalHold } from '@ledger/projections';
import { heldFieldsOf, withStudentsOnHold } from '../personal-data/legal-hold-reads';
import { ReadSide } from '../read-side';
import { studentNamedInPath } from '../student-lookup';
import { StudentRecords } from '../student-records';

export interface BeneficiaryHistory {
  studentKey: string;
  /** Present while the student is on legal hold. */
  legalHold?: LegalHoldView;
  events: Array<Record<string, unknown>>;
}

/** Every event of one student's record, by any of their identifiers (the record's key comes back; no events: no such record). */
export class BeneficiaryHistoryQuery extends Query<BeneficiaryHistory> {
  constructor(
    readonly studentKey: string,
    /** Who reads: a student on legal hold has their personal fields read by an auditor alone (none known: nobody). */
    readonly reader?: { role: Role },
  ) {
    super();
  }
}

@QueryHandler(BeneficiaryHistoryQuery)
export class BeneficiaryHistoryHandler implements IQueryHandler<BeneficiaryHistoryQuery, BeneficiaryHistory> {
  constructor(
    private readonly readSide: ReadSide,
    private readonly records: StudentRecords,
  ) {}

  async execute({ studentKey, reader }: BeneficiaryHistoryQuery): Promise<BeneficiaryHistory> {
    // By the record's own key, or by any identifier of the student's (resident ID, student number).
    const student = studentNamedInPath(studentKey);
    const key = (await this.records.directory.recordKeyOf(student)) ?? student.key;
    const models = await this.readSide.current();
    const entries = queryBeneficiaryHistory(models, key);
    const legalHold = queryLegalHold(models, key);
    const opens = !legalHold || readsPersonalDataOnHold(reader?.role);
    // Sealed personal fields opened for the answer (the reply writer masks them for roles that see them masked); `erased` once the key is gone;
    // on legal hold, opened for an auditor alone (the answer marked: the edge records it, with its purpose).
    const vault = this.records.pipeline.vault;
    const dataOf = (data: unknown) => (!opens ? heldFieldsOf(data) : vault ? vault.openFor(key, data) : data);
    const history = { studentKey: key, ...(legalHold && { legalHold }), events: entries.map((entry) => ({ ...entry, data: dataOf(entry.data), position: entry.position.toString() })) };
    return legalHold && opens ? withStudentsOnHold(history, [key]) : history;
  }
}

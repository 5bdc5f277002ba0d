import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { queryBeneficiaryHistory } from '@ledger/projections';
import { ReadSide } from '../read-side';
import { studentNamedInPath } from '../student-lookup';
import { StudentRecords } from '../student-records';

export interface BeneficiaryHistory {
  studentKey: string;
  events: Array<Record<string, unknown>>;
}

/** Every event of one student's record, by any of their identifiers (the record's key comes back; no events: no such record). */
export class BeneficiaryHistoryQuery extends Query<BeneficiaryHistory> {
  constructor(readonly studentKey: string) {
    super();
  }
}

@QueryHandler(BeneficiaryHistoryQuery)
export class BeneficiaryHistoryHandler implements IQueryHandler<BeneficiaryHistoryQuery, BeneficiaryHistory> {
  constructor(
    private readonly readSide: ReadSide,
    private readonly records: StudentRecords,
  ) {}

  async execute({ studentKey }: BeneficiaryHistoryQuery): Promise<BeneficiaryHistory> {
    // By the record's own key, or by any identifier of the student's (resident ID, student number).
    const student = studentNamedInPath(studentKey);
    const key = (await this.records.directory.recordKeyOf(student)) ?? student.key;
    const entries = queryBeneficiaryHistory(await this.readSide.current(), key);
    // Sealed personal fields opened for the answer (the reply writer masks them for roles that see them masked); `erased` once the key is gone.
    const vault = this.records.pipeline.vault;
    return { studentKey: key, events: entries.map((entry) => ({ ...entry, data: vault ? vault.openFor(key, entry.data) : entry.data, position: entry.position.toString() })) };
  }
}

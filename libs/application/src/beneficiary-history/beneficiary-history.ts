import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { identityFromKey } from '@ledger/domain';
import { queryBeneficiaryHistory } from '@ledger/projections';
import { ReadSide } from '../read-side';
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
    const student = identityFromKey(studentKey.toUpperCase());
    const key = (await this.records.directory.recordKeyOf(student)) ?? student.key;
    const entries = queryBeneficiaryHistory(await this.readSide.current(), key);
    return { studentKey: key, events: entries.map((entry) => ({ ...entry, position: entry.position.toString() })) };
  }
}

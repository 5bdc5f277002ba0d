import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { StudentRecordNotFound, parsePlaceLegalHold, studentFiledUnder } from '@ledger/domain';
import { studentNamedInPath } from '../student-lookup';
import { StudentRecords } from '../student-records';
import { WriteContext } from '../write-context';
import { WriteOutcome } from '../write-outcome';

/**
 * Put a student on legal hold (PIPL Art. 47: the data must still be kept, but only stored), the
 * student named by their record's key or by any of their identifiers. Appends
 * `StudentPlacedOnLegalHold` (no personal data in it): from then on nothing more is recorded on the
 * record, and only auditors read its personal fields, each read recorded with its purpose.
 */
export class PlaceLegalHoldCommand extends Command<WriteOutcome> {
  constructor(
    /** The record's opaque key, or a resident ID or student number of the student. */
    readonly student: string,
    readonly input: { legalBasis?: unknown; reference?: unknown },
    readonly write: WriteContext,
  ) {
    super();
  }
}

@CommandHandler(PlaceLegalHoldCommand)
export class PlaceLegalHoldHandler implements ICommandHandler<PlaceLegalHoldCommand, WriteOutcome> {
  constructor(private readonly records: StudentRecords) {}

  async execute({ student, input, write }: PlaceLegalHoldCommand): Promise<WriteOutcome> {
    // Found, never placed: a hold must not make a record for an identifier the ledger does not know.
    const key = await this.records.directory.recordKeyOf(studentNamedInPath(student), '');
    if (!key) throw new StudentRecordNotFound('no record for this student', 'studentKey');
    const outcome = await this.records.record(parsePlaceLegalHold({ ...input, student: studentFiledUnder(key) as never }), write);
    return { ...outcome, ids: { studentKey: key } };
  }
}

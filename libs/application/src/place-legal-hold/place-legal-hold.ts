import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { parsePlaceLegalHold } from '@ledger/domain';
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
    const { studentKey, ...outcome } = await this.records.recordOnExisting(student, (filed) => parsePlaceLegalHold({ ...input, student: filed as never }), write);
    return { ...outcome, ids: { studentKey } };
  }

}

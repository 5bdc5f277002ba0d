import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { parseLiftLegalHold } from '@ledger/domain';
import { StudentRecords } from '../student-records';
import { WriteContext } from '../write-context';
import { WriteOutcome } from '../write-outcome';

/**
 * Lift a student's legal hold, the student named by their record's key or any of their
 * identifiers. Appends `StudentLegalHoldLifted` (the reason is sealed like every free-text reason):
 * the record is processed again as any other.
 */
export class LiftLegalHoldCommand extends Command<WriteOutcome> {
  constructor(
    /** The record's opaque key, or a resident ID or student number of the student. */
    readonly student: string,
    readonly input: { reference?: unknown; reason?: unknown },
    readonly write: WriteContext,
  ) {
    super();
  }
}

@CommandHandler(LiftLegalHoldCommand)
export class LiftLegalHoldHandler implements ICommandHandler<LiftLegalHoldCommand, WriteOutcome> {
  constructor(private readonly records: StudentRecords) {}

  async execute({ student, input, write }: LiftLegalHoldCommand): Promise<WriteOutcome> {
    const { studentKey, ...outcome } = await this.records.recordOnExisting(student, (filed) => parseLiftLegalHold({ ...input, student: filed as never }), write);
    return { ...outcome, ids: { studentKey } };
  }

}

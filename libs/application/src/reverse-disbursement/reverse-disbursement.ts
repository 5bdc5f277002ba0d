import { Optional } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { parseReverseDisbursement } from '@ledger/domain';
import { ReadSide } from '../read-side';
import { StudentRecords } from '../student-records';
import { studentOfDisbursement } from '../student-lookup';
import { WriteOutcome } from '../write-outcome';
import { WriteContext } from '../write-context';

/** Reverse a payment, with a reason (the payment itself is never changed). The student: named in the body, or the payment's only one. */
export class ReverseDisbursementCommand extends Command<WriteOutcome> {
  constructor(
    readonly disbursementId: string,
    readonly input: Record<string, unknown> & { student?: unknown },
    readonly write: WriteContext,
  ) {
    super();
  }
}

@CommandHandler(ReverseDisbursementCommand)
export class ReverseDisbursementHandler implements ICommandHandler<ReverseDisbursementCommand, WriteOutcome> {
  constructor(
    private readonly records: StudentRecords,
    @Optional() private readonly readSide?: ReadSide,
  ) {}

  async execute({ disbursementId, input, write }: ReverseDisbursementCommand): Promise<WriteOutcome> {
    const student = input.student ?? (await studentOfDisbursement(this.readSide, disbursementId));
    const command = parseReverseDisbursement({ ...input, student, disbursementId });
    return { ...(await this.records.record(command, write)), ids: { disbursementId } };
  }
}

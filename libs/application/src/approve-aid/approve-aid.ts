import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { parseApproveAid } from '@ledger/domain';
import { StudentRecords } from '../student-records';
import { WriteOutcome } from '../write-outcome';
import { recordIdFor } from '../record-id';
import { WriteContext } from '../write-context';

/** Approve aid for a student and period (拟享受: approved, not yet paid). */
export class ApproveAidCommand extends Command<WriteOutcome> {
  constructor(
    readonly input: Record<string, unknown> & { approvalId?: string },
    readonly write: WriteContext,
  ) {
    super();
  }
}

@CommandHandler(ApproveAidCommand)
export class ApproveAidHandler implements ICommandHandler<ApproveAidCommand, WriteOutcome> {
  constructor(private readonly records: StudentRecords) {}

  async execute({ input, write }: ApproveAidCommand): Promise<WriteOutcome> {
    const approvalId = recordIdFor(input.approvalId, write);
    const command = parseApproveAid({ ...input, approvalId });
    return { ...(await this.records.record(command, write)), ids: { approvalId } };
  }
}

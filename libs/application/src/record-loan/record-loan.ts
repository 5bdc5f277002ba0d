import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { parseRecordLoanDisbursement } from '@ledger/domain';
import { StudentRecords } from '../student-records';
import { WriteOutcome } from '../write-outcome';
import { recordIdFor } from '../record-id';
import { WriteContext } from '../write-context';

/** Record a loan disbursement (paid to the university's fee account). */
export class RecordLoanCommand extends Command<WriteOutcome> {
  constructor(
    readonly input: Record<string, unknown> & { loanId?: string },
    readonly write: WriteContext,
  ) {
    super();
  }
}

@CommandHandler(RecordLoanCommand)
export class RecordLoanHandler implements ICommandHandler<RecordLoanCommand, WriteOutcome> {
  constructor(private readonly records: StudentRecords) {}

  async execute({ input, write }: RecordLoanCommand): Promise<WriteOutcome> {
    const loanId = recordIdFor(input.loanId, write);
    const command = parseRecordLoanDisbursement({ ...input, loanId });
    return { ...(await this.records.record(command, write)), ids: { loanId } };
  }
}

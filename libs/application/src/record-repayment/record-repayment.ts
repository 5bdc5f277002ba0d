import { Optional } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { parseRecordLoanRepayment } from '@ledger/domain';
import { ReadSide } from '../read-side';
import { StudentRecords } from '../student-records';
import { studentOfLoan } from '../student-lookup';
import { WriteOutcome } from '../write-outcome';
import { recordIdFor } from '../record-id';
import { WriteContext } from '../write-context';

/** Record a repayment of a loan (not above what is outstanding). The student: named in the body, or the loan's only one. */
export class RecordRepaymentCommand extends Command<WriteOutcome> {
  constructor(
    readonly loanId: string,
    readonly input: Record<string, unknown> & { student?: unknown; repaymentId?: string },
    readonly write: WriteContext,
  ) {
    super();
  }
}

@CommandHandler(RecordRepaymentCommand)
export class RecordRepaymentHandler implements ICommandHandler<RecordRepaymentCommand, WriteOutcome> {
  constructor(
    private readonly records: StudentRecords,
    @Optional() private readonly readSide?: ReadSide,
  ) {}

  async execute({ loanId, input, write }: RecordRepaymentCommand): Promise<WriteOutcome> {
    const repaymentId = recordIdFor(input.repaymentId, write);
    const student = input.student ?? (await studentOfLoan(this.readSide, loanId));
    const command = parseRecordLoanRepayment({ ...input, student, loanId, repaymentId });
    return { ...(await this.records.record(command, write)), ids: { loanId, repaymentId } };
  }
}

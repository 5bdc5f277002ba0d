import { Inject, Optional } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { RecordDisbursement, fiscalYearOf, parseRecordDisbursement } from '@ledger/domain';
import { READ_MODELS } from '../tokens';
import { BudgetKeeper, ReadModelsDatabase } from '../budget-keeper';
import { StudentRecords } from '../student-records';
import { CommandOutcome } from '../write-pipeline';
import { WriteOutcome } from '../write-outcome';
import { recordIdFor } from '../record-id';
import { WriteContext } from '../write-context';

/** Record a payment of a subsidy, grant or waiver to a student (the body of POST /disbursements). */
export class RecordDisbursementCommand extends Command<WriteOutcome> {
  constructor(
    readonly input: Record<string, unknown> & { disbursementId?: string },
    readonly write: WriteContext,
  ) {
    super();
  }
}

/**
 * A payment, decided with its program's budget standing for the fiscal year (BudgetKeeper: what is
 * paid, counting this process's payments of that program-year still in flight).
 */
export function recordPayment(records: StudentRecords, budgets: BudgetKeeper, command: RecordDisbursement, write: WriteContext): Promise<CommandOutcome> {
  const today = records.today();
  const { programCode, valueDate, amount } = command.data;
  return budgets.withStanding(programCode, fiscalYearOf(valueDate), amount, (budget) => records.record(command, write, budget, today));
}

@CommandHandler(RecordDisbursementCommand)
export class RecordDisbursementHandler implements ICommandHandler<RecordDisbursementCommand, WriteOutcome> {
  private readonly budgets: BudgetKeeper;

  constructor(
    private readonly records: StudentRecords,
    @Optional() @Inject(READ_MODELS) readModels?: ReadModelsDatabase,
  ) {
    this.budgets = new BudgetKeeper(records.pipeline.store, readModels);
  }

  async execute({ input, write }: RecordDisbursementCommand): Promise<WriteOutcome> {
    const disbursementId = recordIdFor(input.disbursementId, write);
    const command = parseRecordDisbursement({ ...input, disbursementId });
    return { ...(await recordPayment(this.records, this.budgets, command, write)), ids: { disbursementId } };
  }
}

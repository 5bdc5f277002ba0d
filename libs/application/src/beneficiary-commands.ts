import { BeneficiaryCommand, ProgramCatalog } from '@ledger/domain';
import { Clock, systemClock } from './clock';
import { BudgetKeeper, ReadModelsDatabase } from './budget-keeper';
import { StudentRecords } from './student-records';
import { recordPayment } from './record-disbursement/record-disbursement';
import { CommandOutcome, WritePipeline } from './write-pipeline';
import { WriteContext } from './write-context';

/**
 * Any command to a student's record, already parsed, on the same path as the use cases' handlers (a
 * payment with its budget standing, as record-disbursement does): for the demo seeding, which records
 * fifty thousand parsed commands, and for tests.
 */
export class BeneficiaryCommands {
  private readonly records: StudentRecords;
  private readonly budgets: BudgetKeeper;

  constructor(pipeline: WritePipeline, catalog: ProgramCatalog, readModels?: ReadModelsDatabase, clock: Clock = systemClock) {
    this.records = new StudentRecords(pipeline, catalog, clock);
    this.budgets = new BudgetKeeper(pipeline.store, readModels);
  }

  execute(command: BeneficiaryCommand, write: WriteContext): Promise<CommandOutcome> {
    if (command.type === 'RecordDisbursement') return recordPayment(this.records, this.budgets, command, write);
    return this.records.record(command, write);
  }
}

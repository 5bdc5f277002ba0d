import { Inject, Optional } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import {
  AllocateBudget,
  BeneficiaryCommand,
  BeneficiaryContext,
  ProgramCatalog,
  beneficiaryDecider,
  budgetDecider,
  budgetStreamId,
  fiscalYearOf,
} from '@ledger/domain';
import { CATALOG, CLOCK, READ_MODELS } from './tokens';
import { Clock, systemClock } from './clock';
import { CommandOutcome, CommandRunner } from './command-runner.service';
import { BudgetKeeper, ReadModelsDatabase } from './budget-keeper';
import { StudentDirectory, studentDirectoryOn } from './student-directory';
import { WriteContext } from './write-context';

/**
 * Commands to students' records, from every entry point but the import (HTTP, the demo seeding):
 * the record is found by any identifier the command names (StudentDirectory, again on every retry),
 * identifiers named for the first time are linked with the command's events, a payment is
 * decided against its program's budget for the year (BudgetKeeper), and every command against the
 * clock's today (no date after it).
 */
export class BeneficiaryCommands {
  private readonly directory: StudentDirectory;
  private readonly budgets: BudgetKeeper;

  constructor(
    private readonly runner: CommandRunner,
    private readonly catalog: ProgramCatalog,
    readModels?: ReadModelsDatabase,
    private readonly clock: Clock = systemClock,
  ) {
    this.directory = studentDirectoryOn(runner.store);
    this.budgets = new BudgetKeeper(runner.store, readModels);
  }

  execute(command: BeneficiaryCommand, write: WriteContext): Promise<CommandOutcome> {
    const today = this.clock.today();
    const onRecord = (context: BeneficiaryContext) =>
      this.runner.runOn(
        command.type,
        async () => {
          const placed = await this.directory.place(command.data.student);
          return {
            streamId: placed.streamId,
            stored: placed.stored,
            command: { ...command, data: { ...command.data, student: placed.student } } as BeneficiaryCommand,
            alongside: placed.links,
          };
        },
        beneficiaryDecider,
        context,
        write,
      );
    if (command.type !== 'RecordDisbursement') return onRecord({ catalog: this.catalog, today });
    const { programCode, valueDate, amount } = command.data;
    return this.budgets.withStanding(programCode, fiscalYearOf(valueDate), amount, (budget) => onRecord({ catalog: this.catalog, today, ...(budget && { budget }) }));
  }
}

/** Budget allocations, decided against the catalog and the clock's today. */
export class BudgetCommands {
  constructor(
    private readonly runner: CommandRunner,
    private readonly catalog: ProgramCatalog,
    private readonly clock: Clock = systemClock,
  ) {}

  execute(command: AllocateBudget, write: WriteContext): Promise<CommandOutcome> {
    const streamId = budgetStreamId(command.data.programCode, command.data.fiscalYear);
    return this.runner.run(streamId, budgetDecider, { catalog: this.catalog, today: this.clock.today() }, command, write);
  }
}

/** Any command to one beneficiary's record (approve, pay, reverse, lend, repay). */
export class ExecuteBeneficiaryCommand extends Command<CommandOutcome> {
  constructor(
    readonly command: BeneficiaryCommand,
    readonly write: WriteContext,
  ) {
    super();
  }
}

/** Allocate budget to a program for a fiscal year. */
export class ExecuteBudgetCommand extends Command<CommandOutcome> {
  constructor(
    readonly command: AllocateBudget,
    readonly write: WriteContext,
  ) {
    super();
  }
}

@CommandHandler(ExecuteBeneficiaryCommand)
export class BeneficiaryCommandHandler implements ICommandHandler<ExecuteBeneficiaryCommand, CommandOutcome> {
  private readonly commands: BeneficiaryCommands;

  constructor(
    runner: CommandRunner,
    @Inject(CATALOG) catalog: ProgramCatalog,
    @Optional() @Inject(READ_MODELS) readModels?: ReadModelsDatabase,
    @Optional() @Inject(CLOCK) clock?: Clock,
  ) {
    this.commands = new BeneficiaryCommands(runner, catalog, readModels, clock);
  }

  execute({ command, write }: ExecuteBeneficiaryCommand): Promise<CommandOutcome> {
    return this.commands.execute(command, write);
  }
}

@CommandHandler(ExecuteBudgetCommand)
export class BudgetCommandHandler implements ICommandHandler<ExecuteBudgetCommand, CommandOutcome> {
  private readonly commands: BudgetCommands;

  constructor(runner: CommandRunner, @Inject(CATALOG) catalog: ProgramCatalog, @Optional() @Inject(CLOCK) clock?: Clock) {
    this.commands = new BudgetCommands(runner, catalog, clock);
  }

  execute({ command, write }: ExecuteBudgetCommand): Promise<CommandOutcome> {
    return this.commands.execute(command, write);
  }
}

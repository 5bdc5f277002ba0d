import { Inject } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import {
  AllocateBudget,
  BeneficiaryCommand,
  ProgramCatalog,
  beneficiaryDecider,
  beneficiaryStreamId,
  budgetDecider,
  budgetStreamId,
} from '@ledger/domain';
import { CATALOG } from './tokens';
import { CommandOutcome, CommandRunner } from './command-runner.service';
import { WriteContext } from './write-context';

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
  constructor(
    private readonly runner: CommandRunner,
    @Inject(CATALOG) private readonly catalog: ProgramCatalog,
  ) {}

  execute({ command, write }: ExecuteBeneficiaryCommand): Promise<CommandOutcome> {
    const streamId = beneficiaryStreamId(command.data.student.key);
    return this.runner.run(streamId, beneficiaryDecider, { catalog: this.catalog }, command, write);
  }
}

@CommandHandler(ExecuteBudgetCommand)
export class BudgetCommandHandler implements ICommandHandler<ExecuteBudgetCommand, CommandOutcome> {
  constructor(
    private readonly runner: CommandRunner,
    @Inject(CATALOG) private readonly catalog: ProgramCatalog,
  ) {}

  execute({ command, write }: ExecuteBudgetCommand): Promise<CommandOutcome> {
    const streamId = budgetStreamId(command.data.programCode, command.data.fiscalYear);
    return this.runner.run(streamId, budgetDecider, { catalog: this.catalog }, command, write);
  }
}

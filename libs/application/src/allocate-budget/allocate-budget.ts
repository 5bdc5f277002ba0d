import { Inject, Optional } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AllocateBudget, ProgramCatalog, budgetDecider, budgetStreamId, parseAllocateBudget } from '@ledger/domain';
import { CATALOG, CLOCK } from '../tokens';
import { Clock, systemClock } from '../clock';
import { CommandOutcome, WritePipeline } from '../write-pipeline';
import { WriteOutcome } from '../write-outcome';
import { recordIdFor } from '../record-id';
import { WriteContext } from '../write-context';

/** Allocate budget to a program's fiscal year from a funding source. */
export class AllocateBudgetCommand extends Command<WriteOutcome> {
  constructor(
    readonly input: Record<string, unknown> & { allocationId?: string },
    readonly write: WriteContext,
  ) {
    super();
  }
}

/** Budget allocations, decided against the catalog and the clock's today, on the program-year's budget stream. */
export class BudgetCommands {
  constructor(
    private readonly pipeline: WritePipeline,
    private readonly catalog: ProgramCatalog,
    private readonly clock: Clock = systemClock,
  ) {}

  execute(command: AllocateBudget, write: WriteContext): Promise<CommandOutcome> {
    const streamId = budgetStreamId(command.data.programCode, command.data.fiscalYear);
    return this.pipeline.run(streamId, budgetDecider, { catalog: this.catalog, today: this.clock.today() }, command, write);
  }
}

@CommandHandler(AllocateBudgetCommand)
export class AllocateBudgetHandler implements ICommandHandler<AllocateBudgetCommand, WriteOutcome> {
  private readonly budgets: BudgetCommands;

  constructor(pipeline: WritePipeline, @Inject(CATALOG) catalog: ProgramCatalog, @Optional() @Inject(CLOCK) clock?: Clock) {
    this.budgets = new BudgetCommands(pipeline, catalog, clock);
  }

  async execute({ input, write }: AllocateBudgetCommand): Promise<WriteOutcome> {
    const allocationId = recordIdFor(input.allocationId, write);
    const command = parseAllocateBudget({ ...input, allocationId });
    return { ...(await this.budgets.execute(command, write)), ids: { allocationId } };
  }
}

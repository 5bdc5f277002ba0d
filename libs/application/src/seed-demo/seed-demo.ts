import { Inject } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ProgramCatalog } from '@ledger/domain';
import { AccessControl } from '../access/access-control.service';
import { Settings } from '../settings';
import { CATALOG, SETTINGS } from '../tokens';
import { WritePipeline } from '../write-pipeline';
import { demoLedgerState, markDemoLedger } from './demo-ledger-marker';
import { demoSeederWrite, seedDemoLedger } from './demo-ledger';

export interface SeedDemoResult {
  commands: number;
  recorded: number;
  /** Where the first admin's token was left, when seeding an empty ledger made it. */
  firstAdminTokenFile?: string;
}

/**
 * Record the synthetic demo ledger, only into an empty ledger (marked as a demo before anything else)
 * or a demo one. `where` names the ledger in a refusal; `as`: the finance officer recorded as the
 * actor (default: the demo's own user).
 */
export class SeedDemoLedgerCommand extends Command<SeedDemoResult> {
  constructor(
    readonly options: { where: string; as?: string; onProgress?: (done: number, total: number) => void },
  ) {
    super();
  }
}

@CommandHandler(SeedDemoLedgerCommand)
export class SeedDemoLedgerHandler implements ICommandHandler<SeedDemoLedgerCommand, SeedDemoResult> {
  constructor(
    private readonly pipeline: WritePipeline,
    private readonly access: AccessControl,
    @Inject(CATALOG) private readonly catalog: ProgramCatalog,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async execute({ options }: SeedDemoLedgerCommand): Promise<SeedDemoResult> {
    // Checked before the actor, whose first user an empty ledger gets.
    if ((await demoLedgerState(this.pipeline.store, options.where)) === 'empty') await markDemoLedger(this.pipeline);
    let firstAdminTokenFile: string | undefined;
    let write;
    if (options.as !== undefined) write = await this.access.operatorWrite(options.as, 'record_aid', 'seed-demo');
    else ({ write, firstAdminTokenFile } = await demoSeederWrite(this.access, this.settings.dataDir));
    const result = await seedDemoLedger(this.pipeline, this.catalog, options.onProgress, write);
    return { ...result, ...(firstAdminTokenFile && { firstAdminTokenFile }) };
  }
}

import { Inject } from '@nestjs/common';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandBus } from '@nestjs/cqrs';
import { Command, CommandRunner as CliCommand, Option } from 'nest-commander';
import {
  CATALOG,
  EVENT_STORE,
  SETTINGS,
  SeedDemoLedgerCommand,
  Settings,
  loadDeclaredReports,
  reconcile,
  reconciliationCsv,
  reconciliationTable,
  reconciliationXlsx,
} from '@ledger/application';
import { ProgramCatalog } from '@ledger/domain';
import { EventStore } from '@ledger/event-store';
import { ALL_PROJECTIONS, replayReadModels } from '@ledger/projections';
import { progressBar } from './audit.commands';
import { userPath } from './user-paths';

@Command({ name: 'reconcile', arguments: '[reportId]', description: 'reconcile a declared report (default: the first in config/reports) with the ledger' })
export class ReconcileCommand extends CliCommand {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CATALOG) private readonly catalog: ProgramCatalog,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {
    super();
  }

  async run([reportId]: string[], options: { csv?: string; xlsx?: string; json?: boolean }): Promise<void> {
    const reports = loadDeclaredReports(this.settings.reportsDir, this.catalog);
    const report = reportId ? reports.find((candidate) => candidate.id === reportId) : reports[0];
    if (!report) throw new Error(`no declared report "${reportId}" in ${this.settings.reportsDir} (there are: ${reports.map((r) => r.id).join(', ')})`);
    const dir = mkdtempSync(join(tmpdir(), 'ledger-reconcile-'));
    const bar = progressBar('reading the ledger');
    bar.start(0, 0);
    try {
      const replay = await replayReadModels(this.store, join(dir, 'read-models.sqlite'), ALL_PROJECTIONS, {}, (events) => {
        bar.setTotal(events);
        bar.update(events);
      });
      bar.stop();
      const result = reconcile(report, this.catalog, replay.models.db);
      await replay.models.close();
      if (options.csv) writeFileSync(options.csv, reconciliationCsv(result));
      if (options.xlsx) writeFileSync(options.xlsx, await reconciliationXlsx(result));
      console.log(options.json ? JSON.stringify(result, null, 2) : `${report.title.zh}\n\n${reconciliationTable(result)}`);
      for (const [what, path] of [['CSV', options.csv], ['XLSX', options.xlsx]]) if (path) console.error(`${what} written to ${path}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  @Option({ flags: '--csv <file>' })
  csv(value: string) {
    return userPath(value);
  }
  @Option({ flags: '--xlsx <file>' })
  xlsx(value: string) {
    return userPath(value);
  }
  @Option({ flags: '--json', description: 'print the whole reconciliation as JSON' })
  json() {
    return true;
  }
}

@Command({ name: 'seed-demo', description: 'record the synthetic 2022 Yining ledger through the command path (repeatable: records nothing twice)' })
export class SeedDemoCommand extends CliCommand {
  constructor(
    @Inject(CommandBus) private readonly commandBus: CommandBus,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {
    super();
  }

  async run(_arguments: string[], options: { as?: string }): Promise<void> {
    // Never into a real ledger: only an empty one (marked as a demo before anything else is
    // recorded in it) or a demo one. The actor of every demo payment: the finance officer named
    // with --as, else the demo's own user.
    const ledger = this.settings.eventStore === 'sqlite' ? this.settings.eventStorePath : 'the EventStoreDB log';
    const bar = progressBar('seeding');
    const started = Date.now();
    let barStarted = false;
    let result;
    try {
      result = await this.commandBus.execute(
        new SeedDemoLedgerCommand({
          where: ledger,
          ...(options.as !== undefined && { as: options.as }),
          // The bar starts with the first commands, after the ledger and the actor were checked (their refusals on a line of their own).
          onProgress: (done, total) => {
            if (!barStarted) bar.start(total, 0);
            barStarted = true;
            bar.setTotal(total);
            bar.update(done);
          },
        }),
      );
    } finally {
      if (barStarted) bar.stop();
    }
    if (result.firstAdminTokenFile) console.error(`no users yet: created user "admin" (role admin); its token, valid 7 days, is in ${result.firstAdminTokenFile}`);
    console.error(
      `${result.commands} commands, ${result.recorded} recorded (${result.commands - result.recorded} already there) in ${((Date.now() - started) / 1000).toFixed(1)} s, into ${this.settings.dataDir}`,
    );
  }

  @Option({ flags: '--as <userId>', description: `you: a finance officer of this ledger, recorded as the actor (default: the demo's own user)` })
  as(value: string) {
    return value;
  }
}

export const REPORT_COMMANDS = [ReconcileCommand, SeedDemoCommand];

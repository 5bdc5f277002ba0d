import { Inject } from '@nestjs/common';
import { basename } from 'node:path';
import { statSync, writeFileSync } from 'node:fs';
import { Command, CommandRunner as CliCommand, Option } from 'nest-commander';
import { CommandBus } from '@nestjs/cqrs';
import { AccessControl, ImportPaymentListCommand, ImportReport, SETTINGS, Settings, csvForExcel, writeContextFor } from '@ledger/application';
import { operatorWrite } from './access.commands';
import { progressBar } from './audit.commands';
import { userPath } from './user-paths';

@Command({ name: 'import', arguments: '<file>', description: 'import a payment list (.csv or .xlsx): a dry run unless --commit; all rows or none' })
export class ImportCommand extends CliCommand {
  constructor(
    @Inject(CommandBus) private readonly commandBus: CommandBus,
    @Inject(AccessControl) private readonly access: AccessControl,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {
    super();
  }

  async run([given]: string[], options: { commit?: boolean; problems?: string; as?: string }): Promise<void> {
    const file = userPath(given);
    const extension = file.toLowerCase().split('.').pop();
    if (extension !== 'csv' && extension !== 'xlsx') throw new Error('the file must be .csv or .xlsx');
    // The officer at the machine, recorded as the actor of every payment of the batch. A dry run
    // appends nothing, so it records no actor and needs none (an --as given is still checked).
    const write =
      options.commit || options.as !== undefined
        ? await operatorWrite(this.access, this.settings, options.commit ? 'import --commit' : 'import', options.as, 'record_aid')
        : writeContextFor({ id: 'nobody (dry run)', role: 'none' }, 'import-dry-run');
    statSync(file); // a file that is not there: one line naming its full path, before the progress bar
    const bar = progressBar(options.commit ? 'importing' : 'checking');
    bar.start(0, 0);
    const started = Date.now();
    // A file that cannot be read at all ends in one line (main's error handler), not under a progress bar.
    const report = await this.commandBus
      .execute(
        new ImportPaymentListCommand(file, {
          format: extension,
          fileName: basename(file),
          commit: options.commit === true,
          write,
          onProgress: (rows) => {
            bar.setTotal(rows);
            bar.update(rows);
          },
        }),
      )
      .finally(() => bar.stop());
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (options.problems) writeFileSync(options.problems, csvForExcel(report.problems, { header: true, columns: ['row', 'column', 'code', 'message'] }), { mode: 0o600 });
    for (const problem of report.problems.slice(0, 20)) console.error(`row ${problem.row} ${problem.column}: ${problem.code} ${problem.message}`);
    const { problems, alreadyRecorded, ...summary } = report;
    console.log(JSON.stringify({ ...summary, problems: problems.length, alreadyRecorded: alreadyRecorded.length, seconds: Number(seconds) }, null, 2));
    if (problems.length > 0) {
      console.error(`${problems.length} problem(s) in ${new Set(problems.map((problem) => problem.row)).size} row(s): nothing was recorded`);
      process.exitCode = 1;
    } else if (report.alreadyImported) console.error('this file was imported before: nothing recorded');
    else if (report.total.rows === 0) console.error(`all ${report.rows} rows are already in the ledger (${alreadyRecordedBatches(report)}): nothing ${report.dryRun ? 'to record' : 'recorded'}`);
    else {
      const skipped = report.alreadyRecorded.length > 0 ? `; ${report.alreadyRecorded.length} already in the ledger (${alreadyRecordedBatches(report)}) not recorded again` : '';
      if (report.committed) console.error(`${report.total.rows} rows recorded in ${seconds} s (batch ${report.batchId.slice(0, 12)})${skipped}`);
      else console.error(`${report.total.rows} rows checked in ${seconds} s, no problems${skipped}: run again with --commit to record them`);
    }
  }

  @Option({ flags: '--commit', description: 'record the rows (only when no row has a problem)' })
  commit() {
    return true;
  }
  @Option({ flags: '--problems <file>', description: 'write the problem report as CSV' })
  problems(value: string) {
    return userPath(value);
  }
  @Option({ flags: '--as <userId>', description: 'you: a finance officer of this ledger, recorded as the actor (required with --commit)' })
  as(value: string) {
    return value;
  }
}

/** The batches that recorded a list's already-recorded rows, for one line: `batch 1a2b3c4d5e6f: 12 rows`. */
function alreadyRecordedBatches(report: ImportReport): string {
  const byBatch = new Map<string, number>();
  for (const row of report.alreadyRecorded) byBatch.set(row.importBatch ?? 'recorded singly', (byBatch.get(row.importBatch ?? 'recorded singly') ?? 0) + 1);
  return [...byBatch].map(([batch, rows]) => `${batch === 'recorded singly' ? batch : `batch ${batch.slice(0, 12)}`}: ${rows} rows`).join(', ');
}

import { Inject } from '@nestjs/common';
import { Command, CommandRunner as CliCommand, Option } from 'nest-commander';
import { CommandBus } from '@nestjs/cqrs';
import { MigrateLedgerCommand, MigrationReport } from '@ledger/application';
import { progressBar } from './audit.commands';
import { userPath } from './user-paths';

/**
 * `migrate --from <old data dir> --to <new data dir>`: copies a ledger that holds personal data in
 * clear (streams named by resident IDs) into a new one in the encrypted form, through the one write
 * pipeline. The old directory is only read; the new one must be new or empty, and is removed again
 * when the migration stops half-way.
 */
@Command({
  name: 'migrate',
  description:
    'copy a ledger with personal data in clear into a new data directory in the encrypted form (opaque student keys, sealed fields, its own chain); its first event holds the old log’s last signed digest',
})
export class MigrateCommand extends CliCommand {
  constructor(@Inject(CommandBus) private readonly commandBus: CommandBus) {
    super();
  }

  async run(_: string[], options: { from: string; to: string }): Promise<void> {
    const bar = progressBar('migrating');
    bar.start(0, 0);
    const started = Date.now();
    const report: MigrationReport = await this.commandBus
      .execute(
        new MigrateLedgerCommand(options.from, options.to, {
          onProgress: (copied, total) => {
            if (copied % 500 === 0 || copied === total) bar.setTotal(total), bar.update(copied);
          },
        }),
      )
      .finally(() => bar.stop());
    const seconds = Number(((Date.now() - started) / 1000).toFixed(1));
    console.log(JSON.stringify({ ...report, seconds }, null, 2));
    const leftOut = Object.entries(report.leftOut).map(([type, count]) => `${count} ${type}`).join(', ') || 'none';
    console.error(
      `migrated ${report.copied} of ${report.oldEvents} events (left out: ${leftOut}) and ${report.students} students into ${report.to} in ${seconds} s; ` +
        `its first event names the old log's last signed digest (tree size ${report.lastSignedDigest.treeSize}, root ${report.lastSignedDigest.rootHash}, key ${report.lastSignedDigest.keyId})`,
    );
    if (report.eventsAfterLastDigest > 0) console.error(`${report.eventsAfterLastDigest} events of the old log came after its last signed digest: copied, and covered by the old head hash and root recorded beside it`);
    console.error(
      report.newDigest
        ? `the new log's first digest (tree size ${report.newDigest.treeSize}) is signed with the old ledger's key ${report.newDigest.keyId}, copied beside it`
        : 'the old ledger has no signing key file: the service makes one at its first start on the new ledger — give auditors its public key',
    );
    console.error(`next: keep ${report.from} as it is (the evidence the new log links to), move the new key-encryption key apart (README, "Personal data"), and start the service on ${report.to}`);
  }

  @Option({ flags: '--from <dir>', description: 'the data directory of the ledger to copy (only read)', required: true })
  from(value: string) {
    return userPath(value);
  }
  @Option({ flags: '--to <dir>', description: 'a new or empty data directory for the migrated ledger', required: true })
  to(value: string) {
    return userPath(value);
  }
}

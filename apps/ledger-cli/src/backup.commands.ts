import { Inject } from '@nestjs/common';
import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, CommandRunner as CliCommand } from 'nest-commander';
import { SETTINGS, Settings } from '@ledger/application';
import { SqliteEventStore } from '@ledger/event-store';
import { verifyLog } from '@ledger/integrity';

/**
 * Backup and restore of the embedded event log. The read models are not backed up: they are
 * rebuilt from the log. Keep the signing key (LEDGER_SIGNING_KEY_FILE) apart, and safe.
 */
@Command({ name: 'backup', arguments: '<file>', description: 'copy the event log, online, while the service writes (SQLite backup API)' })
export class BackupCommand extends CliCommand {
  constructor(@Inject(SETTINGS) private readonly settings: Settings) {
    super();
  }

  async run([file]: string[]): Promise<void> {
    if (this.settings.eventStore !== 'sqlite') throw new Error('back up EventStoreDB with its own procedure (see the README)');
    if (existsSync(file)) throw new Error(`${file} exists: choose a new file`);
    const store = new SqliteEventStore({ path: this.settings.eventStorePath, readonly: true });
    try {
      await store.backup(resolve(file));
    } finally {
      await store.close();
    }
    const copy = new Database(file, { readonly: true });
    const events = copy.prepare('SELECT COUNT(*) FROM events').pluck().get();
    copy.close();
    console.log(`backed up ${events} events to ${file}`);
  }
}

@Command({ name: 'restore', arguments: '<file>', description: 'restore a backup into an empty data directory, then check it' })
export class RestoreCommand extends CliCommand {
  constructor(@Inject(SETTINGS) private readonly settings: Settings) {
    super();
  }

  async run([file]: string[]): Promise<void> {
    if (existsSync(this.settings.eventStorePath)) {
      // Only an empty log may be replaced.
      const existing = new Database(this.settings.eventStorePath, { readonly: true });
      const events = existing.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'events'").pluck().get()
        ? (existing.prepare('SELECT COUNT(*) FROM events').pluck().get() as number)
        : 0;
      existing.close();
      if (events > 0) throw new Error(`${this.settings.eventStorePath} holds ${events} events: restore only into an empty data directory`);
    }
    mkdirSync(this.settings.dataDir, { recursive: true });
    const backup = new Database(file, { readonly: true });
    const integrity = backup.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') {
      backup.close();
      throw new Error(`the backup is damaged: ${String(integrity)}`);
    }
    // SQLite's backup API, into the (empty) log: safe even with the file open elsewhere.
    await backup.backup(this.settings.eventStorePath);
    backup.close();
    const store = new SqliteEventStore({ path: this.settings.eventStorePath });
    try {
      const report = await verifyLog(store);
      console.log(JSON.stringify({ restoredTo: join(this.settings.dataDir), eventsChecked: report.eventsChecked, ok: report.ok, firstProblem: report.firstProblem }, null, 2));
      if (!report.ok) process.exitCode = 1;
    } finally {
      await store.close();
    }
  }
}

export const BACKUP_COMMANDS = [BackupCommand, RestoreCommand];

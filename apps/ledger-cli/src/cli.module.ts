import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { AccessControl, AuditService, CATALOG, CommandRunner, ImportService, EVENT_STORE, READ_MODELS, SETTINGS, Settings, createEventStore, loadCatalog, loadSettings } from '@ledger/application';
import { EventStore } from '@ledger/event-store';
import { ACCESS_COMMANDS } from './access.commands';
import { AUDIT_COMMANDS } from './audit.commands';
import { REPORT_COMMANDS } from './report.commands';
import { ImportCommand } from './import.commands';
import { BACKUP_COMMANDS } from './backup.commands';

class CloseStore implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}
  async onApplicationShutdown() {
    await this.store.close();
  }
}

/** The CLI works on the same data files and the same application code as the service. */
@Module({
  providers: [
    { provide: SETTINGS, useFactory: () => loadSettings() },
    {
      provide: EVENT_STORE,
      inject: [SETTINGS],
      useFactory: (settings: ReturnType<typeof loadSettings>) => createEventStore(settings),
    },
    {
      // The service's read models, read-only (the service alone writes them): the leaves it recorded.
      provide: READ_MODELS,
      inject: [SETTINGS],
      useFactory: (settings: Settings) =>
        existsSync(settings.readModelsPath) ? { db: new Database(settings.readModelsPath, { readonly: true, fileMustExist: true }) } : undefined,
    },
    { provide: CATALOG, inject: [SETTINGS], useFactory: (settings: Settings) => loadCatalog(settings.catalogPath) },
    CommandRunner,
    AccessControl,
    AuditService,
    CloseStore,
    ...ACCESS_COMMANDS,
    ...AUDIT_COMMANDS,
    ...REPORT_COMMANDS,
    ImportService,
    ImportCommand,
    ...BACKUP_COMMANDS,
  ],
})
export class CliModule {}

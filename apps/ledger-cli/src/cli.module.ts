import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { CqrsModule } from '@nestjs/cqrs';
import {
  APPLICATION_PROVIDERS,
  CATALOG,
  EVENT_STORE,
  PERSONAL_DATA_VAULT,
  PersonalDataVault,
  READ_MODELS,
  SETTINGS,
  Settings,
  createEventStore,
  loadCatalog,
  loadSettings,
  openPersonalDataVault,
} from '@ledger/application';
import { EventStore, openReadOnlyDatabase } from '@ledger/event-store';
import { ACCESS_COMMANDS } from './access.commands';
import { AUDIT_COMMANDS } from './audit.commands';
import { REPORT_COMMANDS } from './report.commands';
import { ImportCommand } from './import.commands';
import { BACKUP_COMMANDS } from './backup.commands';
import { EraseStudentCommand } from './erasure.commands';
import { LegalHoldCommand } from './legal-hold.commands';
import { RetentionCommand } from './retention.commands';
import { MigrateCommand } from './migrate.commands';

class CloseStore implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore | undefined,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault | undefined,
  ) {}
  async onApplicationShutdown() {
    await this.store?.close();
    this.vault?.close();
  }
}

/**
 * How each command uses the event log. `read`: opened read-only — it writes nothing and creates
 * nothing. `write`: opened for writing. Both need an existing ledger: a missing one is an error
 * naming its path, so that a mistyped LEDGER_DATA_DIR, or a command run from another directory, never
 * makes a stray ledger (nor records a user or a payment list into one). Only `seed-demo` creates a
 * ledger (demo ledgers are made that way); the service creates the real one at its first start.
 * `restore` and `migrate` write through their own connections; the proof checks and help need no ledger and open none.
 */
type LedgerUse = 'read' | 'write' | 'create' | 'none';
const LEDGER_USE: Record<string, LedgerUse> = {
  'add-user': 'write',
  'change-role': 'write',
  'issue-token': 'write',
  'revoke-token': 'write',
  'erase-student': 'write',
  'legal-hold': 'write',
  'seed-demo': 'create',
  'check-inclusion': 'none',
  'check-consistency': 'none',
  restore: 'none',
  migrate: 'none',
  help: 'none',
};

/** The use of the command on the command line; any command not listed reads. */
export function ledgerUseOf(argv: readonly string[]): LedgerUse {
  const [command] = argv.filter((arg) => !arg.startsWith('-'));
  if (!command || argv.includes('--help') || argv.includes('-h')) return 'none';
  if (command === 'import') return argv.includes('--commit') ? 'write' : 'read';
  if (command === 'retention') return argv.includes('--erase') ? 'write' : 'read';
  return LEDGER_USE[command] ?? 'read';
}

function openLedger(settings: Settings, use: LedgerUse): EventStore | undefined {
  if (use === 'none') return undefined;
  if (settings.eventStore === 'sqlite' && use !== 'create' && !existsSync(settings.eventStorePath)) {
    throw new Error(
      `no ledger at ${settings.eventStorePath}: set LEDGER_DATA_DIR to the service's data directory (the service makes the ledger at its first start)`,
    );
  }
  return createEventStore(settings, { readonly: use === 'read' });
}

/** The CLI works on the same data files and the same application code as the service. */
@Module({
  imports: [CqrsModule.forRoot()],
  providers: [
    { provide: SETTINGS, useFactory: () => loadSettings() },
    { provide: EVENT_STORE, inject: [SETTINGS], useFactory: (settings: Settings) => openLedger(settings, ledgerUseOf(process.argv.slice(2))) },
    {
      // The service's read models, read-only (the service alone writes them): the leaves it recorded.
      provide: READ_MODELS,
      inject: [SETTINGS],
      useFactory: (settings: Settings) =>
        ledgerUseOf(process.argv.slice(2)) !== 'none' && existsSync(settings.readModelsPath)
          ? { db: openReadOnlyDatabase(settings.readModelsPath) }
          : undefined,
    },
    {
      // Students' data keys and the identity index: the ledger's writes seal personal fields with them.
      provide: PERSONAL_DATA_VAULT,
      // After the ledger: a command refused for a missing ledger makes no key store either.
      inject: [SETTINGS, EVENT_STORE],
      useFactory: (settings: Settings, store: EventStore | undefined) => {
        const use = ledgerUseOf(process.argv.slice(2));
        return store === undefined || use === 'none' ? undefined : openPersonalDataVault(settings, use === 'read' ? 'read' : 'write');
      },
    },
    { provide: CATALOG, inject: [SETTINGS], useFactory: (settings: Settings) => loadCatalog(settings.catalogPath) },
    ...APPLICATION_PROVIDERS,
    CloseStore,
    ...ACCESS_COMMANDS,
    ...AUDIT_COMMANDS,
    ...REPORT_COMMANDS,
    ImportCommand,
    ...BACKUP_COMMANDS,
    EraseStudentCommand,
    LegalHoldCommand,
    RetentionCommand,
    MigrateCommand,
  ],
})
export class CliModule {}

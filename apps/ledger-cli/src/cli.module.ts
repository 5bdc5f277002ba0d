import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { AccessControl, CommandRunner, EVENT_STORE, SETTINGS, createEventStore, loadSettings } from '@ledger/application';
import { EventStore } from '@ledger/event-store';
import { ACCESS_COMMANDS } from './access.commands';

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
    CommandRunner,
    AccessControl,
    CloseStore,
    ...ACCESS_COMMANDS,
  ],
})
export class CliModule {}

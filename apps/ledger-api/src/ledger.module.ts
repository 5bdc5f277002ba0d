import { Inject, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { EventStore, SqliteEventStore } from '@ledger/event-store';
import { ALL_PROJECTIONS, ReadModels } from '@ledger/projections';
import { BeneficiaryCommandHandler, BudgetCommandHandler, CATALOG, CommandRunner, EVENT_STORE, loadCatalog, READ_MODELS, Settings, SETTINGS } from '@ledger/application';
import { AidController } from './http/aid.controller';
import { HealthController } from './http/health.controller';
import { QueryController } from './http/query.controller';
import { ReadSide } from './queries/read-side.service';

/** Lifecycle of the stores: read models catch up before the service answers, close on shutdown. */
class StoresLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_MODELS) private readonly models: ReadModels,
  ) {}

  async onModuleInit() {
    await this.models.catchUpFrom(this.store);
    this.models.start(this.store, (error) =>
      new Logger('ReadModels').error(`projections stopped at position ${this.models.checkpoint}: ${error.stack ?? error.message}`),
    );
  }

  async onApplicationShutdown() {
    await this.models.stop();
    await this.store.close();
    await this.models.close();
  }
}

export class LedgerModule {
  static forSettings(settings: Settings) {
    return {
      module: LedgerModule,
      imports: [CqrsModule.forRoot()],
      controllers: [AidController, QueryController, HealthController],
      providers: [
        { provide: SETTINGS, useValue: settings },
        { provide: CATALOG, useFactory: () => loadCatalog(settings.catalogPath) },
        { provide: EVENT_STORE, useFactory: () => new SqliteEventStore({ path: settings.eventStorePath }) },
        { provide: READ_MODELS, useFactory: () => new ReadModels(settings.readModelsPath, ALL_PROJECTIONS) },
        StoresLifecycle,
        CommandRunner,
        ReadSide,
        BeneficiaryCommandHandler,
        BudgetCommandHandler,
      ],
    };
  }
}

Module({})(LedgerModule);

import { ExecutionContext, Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import {
  APPLICATION_PROVIDERS,
  AccessControl,
  AuditService,
  CATALOG,
  CLOCK,
  Clock,
  COMMAND_OBSERVER,
  DECLARED_REPORTS,
  EVENT_STORE,
  READ_MODELS,
  SETTINGS,
  Settings,
  PERSONAL_DATA_VAULT,
  PersonalDataVault,
  openPersonalDataVault,
  createEventStore,
  parseToken,
  writeContextFor,
} from '@ledger/application';
import { DeclaredReport, ProgramCatalog } from '@ledger/domain';
import { EventStore, ObservedEventStore } from '@ledger/event-store';
import { ALL_PROJECTIONS, ReadModels, queryErasedStudents } from '@ledger/projections';
import { AccessGuard } from './access/access.guard';
import { UsersController } from './access/users.controller';
import { AidController } from './http/aid.controller';
import { ReportsController } from './http/reports.controller';
import { ImportsController } from './http/imports.controller';
import { AuditController } from './http/audit.controller';
import { AuditReportsController } from './http/audit-reports.controller';
import { HealthController } from './http/health.controller';
import { QueryController } from './http/query.controller';
import { RetentionController } from './http/retention.controller';
import { GracefulShutdown } from './operations/graceful-shutdown';
import { LedgerMetrics } from './operations/ledger-metrics';
import { MetricsController } from './operations/metrics.controller';

/**
 * Lifecycle of the stores: read models catch up before the service answers (those that disagree
 * with the log are refused and rebuilt instead); the log witness starts in the background; all
 * close on shutdown.
 */
class StoresLifecycle implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_MODELS) private readonly models: ReadModels,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    private readonly access: AccessControl,
    private readonly audit: AuditService,
    private readonly metrics: LedgerMetrics,
  ) {}

  async onModuleInit() {
    this.metrics.observeReadSide(this.store, this.models);
    const logger = new Logger('ReadModels');
    const refusal = await this.models.disagreementWith(this.store);
    if (refusal) {
      logger.error(`read models refused: ${refusal}. They are not served: they are rebuilt from the log, reads waiting for them (their recorded leaves kept as evidence)`);
      // Rebuilt by the subscription below, in the background: a log that cannot be projected
      // (edited behind the service's back) stops the projections (health says where), not the service.
      this.models.refuse(refusal);
    } else {
      await this.models.catchUpFrom(this.store);
      this.shredErasedStudents();
    }
    const signing = await this.audit.prepareSigning();
    if (signing) new Logger('Audit').error(signing);
    this.audit.startWitnessing(this.models);
    this.models.start(this.store, (error) => logger.error(`projections stopped at position ${this.models.checkpoint}: ${error.stack ?? error.message}`));
  }

  /**
   * The log's erasures win over the key store: a key store restored from a backup older than an
   * erasure would bring the student's data key back — it is destroyed again here, before any request.
   */
  private shredErasedStudents() {
    const shredded = this.vault.keys.shredAll(queryErasedStudents(this.models.db));
    if (shredded.length > 0) new Logger('PersonalData').warn(`the key store held the data keys of ${shredded.length} erased student(s) (a key store restored from before their erasure, or an erasure a crash cut short): destroyed again`);
  }

  /** On an empty ledger, create the first admin and leave its token in a file (never in the logs). */
  async onApplicationBootstrap() {
    const path = await this.access.bootstrapFirstAdmin(
      this.settings.dataDir,
      writeContextFor({ id: 'system:first-run', role: 'admin' }, 'first-run'),
    );
    if (path) {
      new Logger('FirstRun').warn(
        `no users yet: created user "admin" (role admin). Its token, valid 7 days, is in ${path} — read it, create your users, then delete the file.`,
      );
    }
  }

  /**
   * Clean shutdown, second half (after GracefulShutdown let the requests in flight finish): every
   * acknowledged append is committed already (an append is acknowledged only once durable); the
   * read models apply the rest of the log and checkpoint it, then both stores close.
   */
  async onApplicationShutdown() {
    await this.audit.stop();
    await this.models.stop();
    try {
      await this.models.catchUpFrom(this.store);
    } catch (error) {
      new Logger('Shutdown').error(`read models could not catch up before closing (they will at the next start): ${(error as Error).message}`);
    }
    await this.store.close();
    await this.models.close();
    this.vault.close();
  }
}

/** Limits requests per client: per token when the request carries one, else per address. */
@Injectable()
class ClientThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(request: Record<string, any>): Promise<string> {
    const bearer = String(request.headers?.authorization ?? '').match(/^Bearer (\S+)$/i)?.[1];
    const token = bearer ? parseToken(bearer) : undefined;
    return token ? `token:${token.tokenId}` : `ip:${request.ip}`;
  }

  /** One budget per client across all routes (the default counts each route apart). */
  protected override generateKey(_context: ExecutionContext, tracker: string, throttler: string): string {
    return `${throttler}:${tracker}`;
  }
}

export class LedgerModule {
  /** `configuration`: the catalog and declared reports, read and checked before the module is built; a clock to pin today (tests), else the system's. */
  static forSettings(settings: Settings, configuration: { catalog: ProgramCatalog; reports: DeclaredReport[]; clock?: Clock }) {
    return {
      module: LedgerModule,
      imports: [
        CqrsModule.forRoot(),
        ThrottlerModule.forRoot({
          throttlers: [{ ttl: 60_000, limit: Math.max(settings.rateLimitPerMinute, 1) }],
          skipIf: () => settings.rateLimitPerMinute === 0,
        }),
      ],
      controllers: [AidController, QueryController, RetentionController, HealthController, MetricsController, UsersController, AuditController, AuditReportsController, ReportsController, ImportsController],
      providers: [
        { provide: SETTINGS, useValue: settings },
        { provide: CATALOG, useValue: configuration.catalog },
        { provide: DECLARED_REPORTS, useValue: configuration.reports },
        ...(configuration.clock ? [{ provide: CLOCK, useValue: configuration.clock }] : []),
        LedgerMetrics,
        { provide: COMMAND_OBSERVER, useExisting: LedgerMetrics },
        { provide: EVENT_STORE, inject: [LedgerMetrics], useFactory: (metrics: LedgerMetrics) => new ObservedEventStore(createEventStore(settings), (append) => metrics.appended(append)) },
        GracefulShutdown,
        { provide: READ_MODELS, useFactory: () => new ReadModels(settings.readModelsPath, ALL_PROJECTIONS) },
        { provide: PERSONAL_DATA_VAULT, useFactory: () => openPersonalDataVault(settings, 'write') },
        // Guards run in this order: throttle first, then authenticate and check the role.
        { provide: APP_GUARD, useClass: ClientThrottlerGuard },
        { provide: APP_GUARD, useClass: AccessGuard },
        StoresLifecycle,
        ...APPLICATION_PROVIDERS,
      ],
    };
  }
}

Module({})(LedgerModule);

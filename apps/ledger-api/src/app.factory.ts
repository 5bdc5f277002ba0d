import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Clock, Settings, assertDataDirWritable, holdingDataDir, loadCatalog, loadDeclaredReports } from '@ledger/application';
import { createHttpApp } from './edge/http-app';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { requestValidationPipe } from './http/validation';
import { LedgerModule } from './ledger.module';
import { PinoNestLogger, createLogger } from './logging/logging';
import type { DestinationStream } from 'pino';

/** Builds the HTTP application (used by main.ts and by the end-to-end tests alike), holding the data directory while it is open. */
export async function createLedgerApp(settings: Settings, options: { logDestination?: DestinationStream; clock?: Clock } = {}): Promise<INestApplication> {
  assertDataDirWritable(settings);
  return holdingDataDir(settings, () => buildLedgerApp(settings, options));
}

async function buildLedgerApp(settings: Settings, options: { logDestination?: DestinationStream; clock?: Clock }): Promise<INestApplication> {
  // What can be checked before Nest starts is checked first, so that a bad setting or catalog is
  // one clear line (main.ts prints it), not a stack trace from inside the container.
  const catalog = loadCatalog(settings.catalogPath);
  const reports = loadDeclaredReports(settings.reportsDir, catalog);
  const logger = createLogger(settings, options.logDestination);
  // The HTTP edge (apps/ledger-api/src/edge): Fastify, bodies, uploads, security headers, the
  // request log, in-flight tracking, the dashboard's files, the reply writer that masks personal data.
  const app = await createHttpApp(LedgerModule.forSettings(settings, { catalog, reports, clock: options.clock }), settings, logger, new PinoNestLogger(logger));
  app.useGlobalPipes(requestValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Student-aid ledger')
      .setDescription(
        'Every subsidy, grant, fee waiver and loan disbursement recorded as an immutable event. Amounts are yuan as decimal strings; errors are application/problem+json.',
      )
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  return app;
}

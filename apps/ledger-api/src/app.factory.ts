import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Express, NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Settings, assertDataDirWritable, holdingDataDir, loadCatalog, loadDeclaredReports } from '@ledger/application';
import { maskPersonalDataInAnswers } from './access/personal-data';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { malformedJsonAsProblem, refuseBodiesThatAreNotJson, refuseDeepJson, requestValidationPipe } from './http/validation';
import { LedgerModule } from './ledger.module';
import { GracefulShutdown } from './operations/graceful-shutdown';
import { LedgerMetrics } from './operations/ledger-metrics';
import { PinoNestLogger, createLogger, requestLogging } from './logging/logging';
import type { DestinationStream } from 'pino';

/** Builds the HTTP application (used by main.ts and by the end-to-end tests alike), holding the data directory while it is open. */
export async function createLedgerApp(settings: Settings, options: { logDestination?: DestinationStream } = {}): Promise<INestApplication> {
  assertDataDirWritable(settings);
  return holdingDataDir(settings, () => buildLedgerApp(settings, options));
}

async function buildLedgerApp(settings: Settings, options: { logDestination?: DestinationStream }): Promise<INestApplication> {
  // What can be checked before Nest starts is checked first, so that a bad setting or catalog is
  // one clear line (main.ts prints it), not a stack trace from inside the container.
  const catalog = loadCatalog(settings.catalogPath);
  const reports = loadDeclaredReports(settings.reportsDir, catalog);
  const logger = createLogger(settings, options.logDestination);
  const app = await NestFactory.create<NestExpressApplication>(LedgerModule.forSettings(settings, { catalog, reports }), {
    bodyParser: false,
    abortOnError: false,
    logger: new PinoNestLogger(logger),
  });
  app.use(requestLogging(logger, settings));
  // First of all: requests are counted in flight (for a clean shutdown) and by route (for metrics).
  app.use(app.get(GracefulShutdown).track);
  const metrics = app.get(LedgerMetrics);
  app.use((request: Request, response: Response, next: NextFunction) => {
    response.once('finish', () => metrics.requestEnded(request.method, request.route?.path ?? 'unmatched', response.statusCode));
    next();
  });
  // Personal data masked in every JSON answer for the roles that need none.
  app.use(maskPersonalDataInAnswers);
  // Security headers; no forced HTTPS upgrade: the service is often reached over plain HTTP on an intranet.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  // The bureau dashboard, when it has been built (npm start builds it): its page at / and its bundles
  // under /assets — mounted there only, so that API requests never look for files on disk.
  const dashboardIndex = join(settings.dashboardDir, 'index.html');
  if (existsSync(dashboardIndex)) {
    app.useStaticAssets(join(settings.dashboardDir, 'assets'), { prefix: '/assets/', immutable: true, maxAge: '1y' });
    (app.getHttpAdapter().getInstance() as Express).get('/', (_request, response) => response.sendFile(dashboardIndex));
  }
  // A body nested deeper than any request needs is refused before it is parsed (refuseDeepJson).
  app.use(refuseBodiesThatAreNotJson);
  app.useBodyParser('json', { limit: settings.bodyLimit, verify: refuseDeepJson });
  app.use(malformedJsonAsProblem);
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

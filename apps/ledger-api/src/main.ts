import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createLedgerApp } from './app.factory';
import { listenOnAllInterfaces } from './edge/http-app';
import { loadSettings } from '@ledger/application';

async function main() {
  const settings = loadSettings();
  const app = await createLedgerApp(settings);
  await listenOnAllInterfaces(app, settings.port);
  const logger = new Logger('Ledger');
  logger.log(`event log ${settings.eventStorePath}; read models ${settings.readModelsPath}`);
  logger.log(`listening on http://localhost:${settings.port} — API docs at http://localhost:${settings.port}/docs`);

  // A clean stop: let the requests in flight finish, checkpoint the projections, close the stores
  // (GracefulShutdown, StoresLifecycle), then exit 0 — a second signal stops at once.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      process.once(signal, () => process.exit(130));
      // close(signal) hands the signal to the shutdown hooks (the typings omit the parameter).
      (app as unknown as { close(signal: string): Promise<void> })
        .close(signal)
        .then(() => process.exit(0))
        .catch((error: Error) => {
          console.error(`ledger-api did not stop cleanly: ${error.message}`);
          process.exit(1);
        });
    });
  }
}

main().catch((error: Error) => {
  // A bad setting or catalog stops the service with one clear line, not a stack trace.
  console.error(`ledger-api failed to start: ${error.message}`);
  process.exit(1);
});

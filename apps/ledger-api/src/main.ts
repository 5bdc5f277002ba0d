import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createLedgerApp } from './app.factory';
import { loadSettings } from '@ledger/application';

async function main() {
  const settings = loadSettings();
  const app = await createLedgerApp(settings);
  await app.listen(settings.port);
  const logger = new Logger('Ledger');
  logger.log(`event log ${settings.eventStorePath}; read models ${settings.readModelsPath}`);
  logger.log(`listening on http://localhost:${settings.port} — API docs at http://localhost:${settings.port}/docs`);
}

main().catch((error: Error) => {
  // A bad setting or catalog stops the service with one clear line, not a stack trace.
  console.error(`ledger-api failed to start: ${error.message}`);
  process.exit(1);
});

import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli.module';
import { errorLine } from './user-paths';

async function main() {
  await CommandFactory.run(CliModule, {
    // A bad setting, a missing ledger: the error comes back here, not as Nest's stack trace.
    logger: false,
    abortOnError: false,
    errorHandler: (error) => {
      // Commander's own outcomes (--help, an unknown command or option) are printed by commander,
      // which then exits with its code (0 for --help); anything else ends with one line.
      if ((error as { code?: string }).code?.startsWith('commander.')) return;
      console.error(`error: ${errorLine(error)}`);
      process.exitCode = 1;
    },
    serviceErrorHandler: (error) => {
      console.error(`error: ${errorLine(error)}`);
      process.exitCode = 1;
    },
  });
}

main().catch((error: Error) => {
  console.error(`error: ${errorLine(error)}`);
  process.exitCode = 1;
});

import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli.module';

async function main() {
  await CommandFactory.run(CliModule, {
    logger: ['error'],
    errorHandler: (error) => {
      // Expected refusals (a domain rule, a bad option) end with one line, not a stack trace.
      console.error(`error: ${error.message}`);
      process.exitCode = 1;
    },
    serviceErrorHandler: (error) => {
      console.error(`error: ${error.message}`);
      process.exitCode = 1;
    },
  });
}

void main();

import { ConsoleLogger } from '@nestjs/common';
import { redactText } from '@ledger/domain';

const redact = (value: unknown): unknown => {
  if (typeof value === 'string') return redactText(value);
  if (value instanceof Error) return redactText(value.stack ?? value.message);
  return value;
};

/**
 * The service's logger: Nest's console logger with every message passed through redactText, so a
 * resident ID, student number, bank card or token never reaches the logs, whoever logs it.
 */
export class RedactingLogger extends ConsoleLogger {
  override log(message: unknown, ...rest: unknown[]) {
    super.log(redact(message), ...rest.map(redact));
  }
  override error(message: unknown, ...rest: unknown[]) {
    super.error(redact(message), ...rest.map(redact));
  }
  override warn(message: unknown, ...rest: unknown[]) {
    super.warn(redact(message), ...rest.map(redact));
  }
  override debug(message: unknown, ...rest: unknown[]) {
    super.debug(redact(message), ...rest.map(redact));
  }
  override verbose(message: unknown, ...rest: unknown[]) {
    super.verbose(redact(message), ...rest.map(redact));
  }
  override fatal(message: unknown, ...rest: unknown[]) {
    super.fatal(redact(message), ...rest.map(redact));
  }
}

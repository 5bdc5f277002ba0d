import { LoggerService } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import pino, { DestinationStream, Logger } from 'pino';
import { Settings } from '@ledger/application';
import { redactText } from '@ledger/domain';
import { correlationIdOf, requestIdOf } from '../http/request-ids';

/** Every string in a log call passed through redactText (ID numbers, cards, tokens), Errors included. */
function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value instanceof Error) return { type: value.name, message: redactText(value.message), stack: redactText(value.stack ?? value.message) };
  if (depth < 3 && value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, redact(inner, depth + 1)]));
  }
  return value;
}

/**
 * The service's structured JSON logs (pino). Nothing personal reaches a log: every message and
 * field goes through redactText, and request headers are never logged.
 */
export function createLogger(settings: Pick<Settings, 'logLevel'>, destination: DestinationStream = process.stdout): Logger {
  return pino(
    {
      level: settings.logLevel,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => redact(arg)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

/** Nest's logger interface over pino: Nest's own lines and every `new Logger(context)` in the code. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  private write(level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', message: unknown, params: unknown[]) {
    // Nest passes the context last; an error's stack, when given, before it.
    const context = params.length > 0 && typeof params[params.length - 1] === 'string' ? (params[params.length - 1] as string) : undefined;
    const stack = params.length > 1 && typeof params[0] === 'string' ? params[0] : undefined;
    const fields = { ...(context && { context }), ...(stack && { stack }) };
    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, message.message);
    else if (message && typeof message === 'object') this.logger[level]({ ...fields, ...message });
    else this.logger[level](fields, String(message));
  }
  log(message: unknown, ...params: unknown[]) {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]) {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]) {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]) {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]) {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]) {
    this.write('fatal', message, params);
  }
}

/** The fields that tie a log line to its request: request id, correlation id, caller. */
export function requestFields(request: IncomingMessage, actor?: { id: string } | null) {
  return {
    req: { id: requestIdOf(request), method: request.method, url: redactText(request.url ?? '') },
    correlationId: correlationIdOf(request),
    ...(actor && { actor: actor.id }),
  };
}

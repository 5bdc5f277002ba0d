import { LoggerService } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
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
export function requestFields(request: Request & { actor?: { id: string } }) {
  return {
    req: { id: requestIdOf(request), method: request.method, url: redactText(request.originalUrl ?? request.url) },
    correlationId: correlationIdOf(request),
    ...(request.actor && { actor: request.actor.id }),
  };
}

/**
 * Gives every request its id (answered in X-Request-Id) and, when the request log is on, writes
 * one line as it ends: method, redacted path, status, duration, request and correlation ids,
 * caller. (Cheaper than a child logger per request: on this path every microsecond is a write.)
 */
export function requestLogging(logger: Logger, settings: Pick<Settings, 'requestLog'>) {
  return (request: Request & { actor?: { id: string } }, response: Response, next: NextFunction) => {
    response.setHeader('X-Request-Id', requestIdOf(request));
    if (settings.requestLog) {
      const started = process.hrtime.bigint();
      response.once('finish', () => {
        const ms = Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10;
        const { statusCode } = response;
        const level = statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
        const fields = requestFields(request);
        logger[level]({ ...fields, res: { statusCode }, responseTime: ms }, `${request.method} ${fields.req.url} ${statusCode} ${ms} ms`);
      });
    }
    next();
  };
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import pino, { DestinationStream } from 'pino';
import { Settings } from '@ledger/application';
import { redactText } from '@ledger/domain';
import { correlationIdOf, requestIdOf } from '../http/request-ids';

type Request = IncomingMessage & { originalUrl?: string; actor?: { id: string; role: string } };
const pathOf = (request: IncomingMessage) => redactText((request as Request).originalUrl ?? request.url ?? '');

/** Every string in a log call passed through redactText (ID numbers, cards, tokens), Errors included. */
function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value instanceof Error) {
    const copy = new Error(redactText(value.message));
    copy.name = value.name;
    copy.stack = redactText(value.stack ?? value.message);
    return copy;
  }
  if (depth < 3 && value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, redact(inner, depth + 1)]));
  }
  return value;
}

/**
 * Structured JSON logs (pino): one line per request with its request id, correlation id, caller,
 * status and duration, and every log line written while serving a request carries the same ids.
 * Nothing personal reaches a log: paths and messages go through redactText, headers are not logged.
 */
export function loggingModule(settings: Pick<Settings, 'logLevel' | 'requestLog'>, destination: DestinationStream = process.stdout) {
  return LoggerModule.forRoot({
    pinoHttp: [
      {
        level: settings.logLevel,
        autoLogging: settings.requestLog,
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        hooks: {
          logMethod(args, method) {
            method.apply(this, args.map((arg) => redact(arg)) as Parameters<typeof method>);
          },
        },
        genReqId: (request: IncomingMessage, response: ServerResponse) => {
          const id = requestIdOf(request);
          response.setHeader('X-Request-Id', id);
          return id;
        },
        // Called as the request starts (bound to every line logged while serving it) and again
        // for the line that ends it, once the caller is known.
        customProps: (request: IncomingMessage, response: ServerResponse) => {
          const { actor } = request as Request;
          if (!response.headersSent) return { correlationId: correlationIdOf(request) };
          return actor ? { actor: actor.id } : {};
        },
        serializers: {
          // pino-http hands serializers its own summary of the request, the real one as `raw`.
          req: (request: { id?: unknown; method?: string; raw: IncomingMessage }) => ({ id: request.id, method: request.method, url: pathOf(request.raw) }),
          res: (response: { raw: ServerResponse }) => ({ statusCode: response.raw.statusCode }),
        },
        customLogLevel: (_request, response, error) => (error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info'),
        customSuccessMessage: (request, response, ms) => `${request.method} ${pathOf(request)} ${response.statusCode} ${ms} ms`,
        customErrorMessage: (request, response) => `${request.method} ${pathOf(request)} ${response.statusCode} failed`,
      },
      destination,
    ],
  });
}

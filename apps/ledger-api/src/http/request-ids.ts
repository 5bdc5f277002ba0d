import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';

/** Ids a caller may send (X-Request-Id, X-Correlation-Id, Idempotency-Key): visible ASCII, bounded. */
export const CLIENT_ID_PATTERN = /^[\x21-\x7e]{1,200}$/;

type WithIds = IncomingMessage & { ledgerRequestId?: string };

const header = (request: IncomingMessage, name: string): string | undefined => {
  const value = request.headers[name];
  return typeof value === 'string' && CLIENT_ID_PATTERN.test(value) ? value : undefined;
};

/**
 * The request's id: the caller's X-Request-Id when it sent a valid one, else a new UUID. Logged on
 * the request's line (and a 5xx's), answered in X-Request-Id, and recorded as the causation id of the
 * events the request writes — so a log line leads to its events and back.
 */
export function requestIdOf(request: IncomingMessage): string {
  const withIds = request as WithIds;
  withIds.ledgerRequestId ??= header(request, 'x-request-id') ?? randomUUID();
  return withIds.ledgerRequestId;
}

/** The business transaction the request belongs to: the caller's X-Correlation-Id, else the request id. */
export function correlationIdOf(request: IncomingMessage): string {
  return header(request, 'x-correlation-id') ?? requestIdOf(request);
}

import { ExecutionContext, UnauthorizedException, createParamDecorator } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Actor, WriteContext, hashRequest } from '@ledger/application';
import { RequestInvalidError } from '../http/problem-details.filter';
import { CLIENT_ID_PATTERN, correlationIdOf, requestIdOf } from '../http/request-ids';

/** The request as the edge keeps it: Fastify's, with the caller the access guard found. */
export type LedgerRequest = FastifyRequest & { actor: Actor | null };

/**
 * The route a request matched as its template (`/disbursements/:disbursementId/reversal`), the
 * string the request hash and the role matrix use; `undefined` for a request no route matched.
 * Fastify's `routeOptions.url` is the path the controller declared, as Express's `route.path` was
 * (test/request-hash-routes.e2e.spec.ts pins them).
 */
export const routeTemplateOf = (request: FastifyRequest): string | undefined => request.routeOptions?.url;

/** The caller, as the access guard authenticated it (null: not authenticated, or a public route). */
export const actorOf = (request: FastifyRequest): Actor | null => (request as LedgerRequest).actor ?? null;

/** The path of the request, without its query (a problem's `instance`). */
export const requestPathOf = (request: FastifyRequest): string => request.url.split('?')[0];

/** What the access guard needs of a request, without knowing the framework. */
export interface GuardedRequest {
  method: string;
  /** The route template, or the path when no route matched. */
  route: string;
  header(name: string): string | undefined;
  authenticated(actor: Actor): void;
  setResponseHeader(name: string, value: string): void;
}

export function guardedRequestOf(context: ExecutionContext): GuardedRequest {
  const http = context.switchToHttp();
  const request = http.getRequest<LedgerRequest>();
  const reply = http.getResponse<FastifyReply>();
  return {
    method: request.method,
    route: routeTemplateOf(request) ?? requestPathOf(request),
    header: (name) => {
      const value = request.headers[name.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    },
    authenticated: (actor) => (request.actor = actor),
    setResponseHeader: (name, value) => void reply.header(name, value),
  };
}

/** The write context of a request: actor, Idempotency-Key, request hash, correlation and causation ids. */
export function writeContextOf(request: LedgerRequest, body: unknown = request.body): WriteContext {
  // The actor comes from the authenticated token (set by the access guard), never from the body.
  if (!request.actor) throw new UnauthorizedException('a write needs an authenticated caller');
  const header = request.headers['idempotency-key'];
  const key = Array.isArray(header) ? header[0] : header;
  if (key !== undefined && !CLIENT_ID_PATTERN.test(key)) {
    throw new RequestInvalidError([{ field: 'Idempotency-Key', message: 'Idempotency-Key must be 1–200 visible ASCII characters' }]);
  }
  return {
    actor: { id: request.actor.id, role: request.actor.role },
    ...(key !== undefined && { idempotencyKey: key }),
    requestHash: hashRequest(request.method, routeTemplateOf(request) ?? requestPathOf(request), { params: request.params, body }),
    correlationId: correlationIdOf(request.raw),
    causationId: requestIdOf(request.raw),
  };
}

/** The write's metadata (see writeContextOf), as a controller parameter. */
export const Write = createParamDecorator((_: unknown, context: ExecutionContext): WriteContext => writeContextOf(context.switchToHttp().getRequest<LedgerRequest>()));

/** The authenticated caller, as a controller parameter. */
export const CurrentActor = createParamDecorator((_: unknown, context: ExecutionContext): Actor => {
  const actor = actorOf(context.switchToHttp().getRequest<FastifyRequest>());
  if (!actor) throw new UnauthorizedException('send "Authorization: Bearer <token>"');
  return actor;
});

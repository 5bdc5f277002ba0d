import { ExecutionContext, UnauthorizedException, createParamDecorator } from '@nestjs/common';
import type { Request } from 'express';
import { hashRequest, WriteContext } from '@ledger/application';
import { RequestInvalidError } from './problem-details.filter';
import { CLIENT_ID_PATTERN, correlationIdOf, requestIdOf } from './request-ids';

/** The write's metadata: actor, Idempotency-Key, request hash, correlation and causation ids. */
export const Write = createParamDecorator((_: unknown, context: ExecutionContext): WriteContext => {
  const request = context.switchToHttp().getRequest<Request & { actor?: WriteContext['actor'] }>();
  // The actor comes from the authenticated token (set by the access guard), never from the body.
  if (!request.actor) throw new UnauthorizedException('a write needs an authenticated caller');
  const key = request.header('Idempotency-Key');
  if (key !== undefined && !CLIENT_ID_PATTERN.test(key)) {
    throw new RequestInvalidError([{ field: 'Idempotency-Key', message: 'Idempotency-Key must be 1–200 visible ASCII characters' }]);
  }
  return {
    actor: { id: request.actor.id, role: request.actor.role },
    ...(key !== undefined && { idempotencyKey: key }),
    requestHash: hashRequest(request.method, request.route?.path ?? request.path, { params: request.params, body: request.body }),
    correlationId: correlationIdOf(request),
    causationId: requestIdOf(request),
  };
});

import { ExecutionContext, UnauthorizedException, createParamDecorator } from '@nestjs/common';
import type { Request } from 'express';
import { randomUUID } from 'node:crypto';
import { hashRequest, WriteContext } from '@ledger/application';
import { RequestInvalidError } from './problem-details.filter';

const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

/** The write's metadata: actor, Idempotency-Key, request hash, correlation and causation ids. */
export const Write = createParamDecorator((_: unknown, context: ExecutionContext): WriteContext => {
  const request = context.switchToHttp().getRequest<Request & { actor?: WriteContext['actor'] }>();
  // The actor comes from the authenticated token (set by the access guard), never from the body.
  if (!request.actor) throw new UnauthorizedException('a write needs an authenticated caller');
  const key = request.header('Idempotency-Key');
  if (key !== undefined && !KEY_PATTERN.test(key)) {
    throw new RequestInvalidError([{ field: 'Idempotency-Key', message: 'Idempotency-Key must be 1–200 visible ASCII characters' }]);
  }
  const correlation = request.header('X-Correlation-Id');
  const requestId = randomUUID();
  return {
    actor: { id: request.actor.id, role: request.actor.role },
    ...(key !== undefined && { idempotencyKey: key }),
    requestHash: hashRequest(request.method, request.route?.path ?? request.path, { params: request.params, body: request.body }),
    correlationId: correlation && KEY_PATTERN.test(correlation) ? correlation : requestId,
    causationId: requestId,
  };
});

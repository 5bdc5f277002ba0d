import { ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { Request } from 'express';
import { randomUUID } from 'node:crypto';
import { hashRequest, WriteContext } from '@ledger/application';
import { RequestInvalidError } from './problem-details.filter';

const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

/**
 * Until users and roles exist (issue 3), every write is attributed to this actor. It never comes
 * from the request body.
 */
export const UNAUTHENTICATED_ACTOR = { id: 'unauthenticated', role: 'none' } as const;

/** The write's metadata: actor, Idempotency-Key, request hash, correlation and causation ids. */
export const Write = createParamDecorator((_: unknown, context: ExecutionContext): WriteContext => {
  const request = context.switchToHttp().getRequest<Request & { actor?: WriteContext['actor'] }>();
  const key = request.header('Idempotency-Key');
  if (key !== undefined && !KEY_PATTERN.test(key)) {
    throw new RequestInvalidError([{ field: 'Idempotency-Key', message: 'Idempotency-Key must be 1–200 visible ASCII characters' }]);
  }
  const correlation = request.header('X-Correlation-Id');
  const requestId = randomUUID();
  return {
    actor: request.actor ?? { ...UNAUTHENTICATED_ACTOR },
    ...(key !== undefined && { idempotencyKey: key }),
    requestHash: hashRequest(request.method, request.route?.path ?? request.path, { params: request.params, body: request.body }),
    correlationId: correlation && KEY_PATTERN.test(correlation) ? correlation : requestId,
    causationId: requestId,
  };
});

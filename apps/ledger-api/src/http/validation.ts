import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooDeep, FieldProblem } from '@ledger/domain';
import { MalformedJsonError, RequestInvalidError, UnsupportedMediaTypeError } from './problem-details.filter';

function flatten(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field,
      message: message.startsWith('property ') ? `${field} is not an accepted field` : message,
    }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * The names every object inherits (`__proto__`, `constructor`, `toString`, `valueOf`, …) and
 * `prototype`. Nest's pipe deletes some of them from a body and class-transformer skips the others,
 * so the whitelist never sees them: they would vanish without a word instead of being refused.
 */
const INHERITED_NAMES: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

/** Every key of `body`, at any depth, named like an inherited property, with its field path. */
export function inheritedNameProblems(body: unknown): FieldProblem[] {
  const problems: FieldProblem[] = [];
  // Iterative, so that no body can exhaust the stack here (depth is bounded earlier anyway).
  const pending: Array<{ value: unknown; path: string }> = [{ value: body, path: '' }];
  while (pending.length > 0) {
    const { value, path } = pending.pop()!;
    if (value === null || typeof value !== 'object') continue;
    for (const key of Object.keys(value)) {
      const field = path ? `${path}.${key}` : key;
      if (INHERITED_NAMES.has(key)) problems.push({ field, message: `${field} is not an accepted field` });
      else pending.push({ value: (value as Record<string, unknown>)[key], path: field });
    }
  }
  return problems.sort((a, b) => a.field.localeCompare(b.field));
}

/** DTO validation: unknown fields refused (those named like inherited properties too), every problem reported with its field path. */
class RequestValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata) {
    if (metadata.type === 'body') {
      const problems = inheritedNameProblems(value);
      if (problems.length > 0) throw new RequestInvalidError(problems);
    }
    return super.transform(value, metadata);
  }
}

export const requestValidationPipe = () =>
  new RequestValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => new RequestInvalidError(flatten(errors)),
  });

/**
 * How deep a JSON body may nest objects and arrays. A request needs 3 (body → student → field);
 * what is deeper is refused before it is parsed, since the code behind the parser (the pipes, the
 * request hash) walks bodies recursively and a body of nested brackets would exhaust its stack.
 */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * body-parser's `verify` hook for JSON: one pass over the raw bytes, outside strings, counting
 * brackets; it stops at the first level too deep, so 1 MB of `[[[[…` costs 33 bytes of reading.
 * The bytes are UTF-8 (RFC 8259 §8.1 requires it between systems), where no byte of a multi-byte
 * character can be mistaken for a bracket, a quote or a backslash; other charsets are refused.
 */
export function refuseDeepJson(_request: IncomingMessage, _response: ServerResponse, body: Buffer, encoding: string | null): void {
  if (encoding !== null && encoding !== 'utf-8') {
    throw Object.assign(new Error(`JSON bodies must be UTF-8, not ${encoding}`), { status: 415, type: 'charset.unsupported' });
  }
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === BACKSLASH) i++; // the escaped character is text, whatever it is
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      if (++depth > MAX_JSON_DEPTH) {
        throw new BodyTooDeep(`the request body is nested deeper than ${MAX_JSON_DEPTH} levels of objects and arrays (a request needs 3)`);
      }
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) depth--;
  }
}

/**
 * Error middleware right after the JSON parser: a body that does not parse becomes BODY_MALFORMED
 * with the position only. (Nest would turn the parser's SyntaxError into a plain 400 whose message
 * quotes the body back.)
 */
export function malformedJsonAsProblem(error: unknown, _request: IncomingMessage, _response: ServerResponse, next: NextFunction): void {
  const parseFailed = (error as { type?: unknown } | null)?.type === 'entity.parse.failed';
  next(parseFailed ? new MalformedJsonError(/at position (\d+)/.exec(String((error as Error).message))?.[1]) : error);
}

/** The routes whose body is not JSON: the import takes a multipart upload. */
const NOT_JSON_ROUTES: ReadonlySet<string> = new Set(['/imports']);
const WITH_BODY: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

/**
 * A body sent to a JSON route as anything but `application/json` (text/plain, curl -d's form
 * encoding, no Content-Type at all) is refused with a 415 before it is read: the JSON parser
 * would pass it by, and the route would see an empty body ("every field must be a string"), or,
 * where every field is optional, act on it. A write without a body is left to the route.
 */
export function refuseBodiesThatAreNotJson(request: Request, _response: Response, next: NextFunction): void {
  const hasBody = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
  if (!hasBody || !WITH_BODY.has(request.method) || NOT_JSON_ROUTES.has(request.path.replace(/\/+$/, '')) || request.is('application/json')) return next();
  const sentAs = request.headers['content-type']?.split(';')[0].trim().slice(0, 100);
  const message = `the body must be JSON, sent with Content-Type: application/json (this one was sent ${sentAs ? `as ${sentAs}` : 'without a Content-Type'})`;
  next(new UnsupportedMediaTypeError('Content-Type', message));
}

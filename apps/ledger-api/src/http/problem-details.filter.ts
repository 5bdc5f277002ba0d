import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { requestFields } from '../logging/logging';
import { problemAnswerOf } from '../edge/reply-writer';
import { DomainError, DomainErrorKind, FieldProblem, redactText } from '@ledger/domain';
import { StoreUnavailableError } from '@ledger/event-store';

/** A request the caller got wrong, found before the domain saw it (shape, types, header). */
export class RequestInvalidError extends Error {
  readonly status: number = 400;
  readonly code: string = 'REQUEST_INVALID';

  constructor(readonly problems: FieldProblem[]) {
    super(problems.map((problem) => `${problem.field}: ${problem.message}`).join('; '));
  }
}

/** A body in another form than the route reads (JSON sent as text/plain, or with no Content-Type). */
export class UnsupportedMediaTypeError extends RequestInvalidError {
  override readonly status = 415;
  override readonly code = 'UNSUPPORTED_MEDIA_TYPE';

  constructor(field: string, message: string) {
    super([{ field, message }]);
    this.message = message;
  }
}

/** An upload larger than the route takes (the file of an import, over LEDGER_UPLOAD_LIMIT). */
export class UploadTooLargeError extends RequestInvalidError {
  override readonly status = 413;
  override readonly code = 'UPLOAD_TOO_LARGE';
}

/** Parameters the caller's role may not use, refused before anything is looked up: 403, the fields named. */
export class ParametersForbiddenError extends RequestInvalidError {
  override readonly status = 403;
  override readonly code = 'FORBIDDEN';

  constructor(fields: readonly string[], message: string) {
    super(fields.map((field) => ({ field, message })));
    this.message = message;
  }
}

/**
 * An answer holding personal data that was not sent because its disclosure could not be recorded
 * (the store is read-only, full or away): the record of processing fails closed.
 */
export class DisclosureNotRecordedError extends Error {
  readonly code = 'DISCLOSURE_NOT_RECORDED';
  constructor(override readonly cause: unknown) {
    super(`this answer holds personal data and its disclosure could not be recorded, so it is not sent; retry shortly (${cause instanceof StoreUnavailableError ? cause.message : 'the record of processing failed'})`);
  }
}

/** A body that is not JSON: said where, without quoting it back (the parser's own message does). */
export class MalformedJsonError extends Error {
  constructor(position?: string, notAnObject = false) {
    const at = position === undefined ? '' : `（第 ${position} 个字符处）`;
    const atEnglish = position === undefined ? '' : ` (at character ${position})`;
    super(
      notAnObject
        ? `请求体应为 JSON 对象或数组${at} / the request body must be a JSON object or array${atEnglish}`
        : `请求体不是有效的 JSON${at} / the request body is not valid JSON${atEnglish}`,
    );
  }
}

const STATUS_OF_KIND: Record<DomainErrorKind, number> = {
  invalid: HttpStatus.BAD_REQUEST,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  rule: HttpStatus.UNPROCESSABLE_ENTITY,
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: FieldProblem[];
  instance?: string;
}

const problemType = (code: string) => `urn:student-aid-ledger:problem:${code}`;

/** A problem with its type and title made from the code, the one shape every error answer has. */
export const problemOf = (status: number, code: string, detail: string): Problem => ({ type: problemType(code), title: titleOf(code), status, code, detail });

/**
 * Every error leaves the service as RFC 9457 `application/problem+json` with a stable `code` and,
 * where a field is at fault, `errors: [{field, message}]`. Only a fault of ours is a 5xx.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    const answer = problemAnswerOf(host);
    const problem = this.toProblem(exception);
    problem.instance = answer.path;
    if (problem.status >= 500) {
      const { req, correlationId } = requestFields(answer.raw);
      this.logger.error(`${answer.method} ${problem.instance} failed (request ${req.id}, correlation ${correlationId}): ${String((exception as Error)?.stack ?? exception)}`);
    }
    answer.send(answer.seesPersonalData ? problem : redactedProblem(problem));
  }

  private toProblem(exception: unknown): Problem {
    if (exception instanceof DomainError) {
      return {
        type: problemType(exception.code),
        title: titleOf(exception.code),
        status: STATUS_OF_KIND[exception.kind],
        code: exception.code,
        detail: exception.message,
        ...(exception.problems.length > 0 && { errors: exception.problems }),
      };
    }
    if (exception instanceof RequestInvalidError) {
      return { ...problemOf(exception.status, exception.code, exception.message), errors: exception.problems };
    }
    if (exception instanceof MalformedJsonError) return { ...problemOf(400, 'BODY_MALFORMED', exception.message), errors: [{ field: 'body', message: exception.message }] };
    if (exception instanceof DisclosureNotRecordedError) return problemOf(503, exception.code, exception.message);
    if (exception instanceof StoreUnavailableError) {
      return problemOf(503, 'STORE_UNAVAILABLE', exception.message);
    }
    const statusGiven = exception instanceof HttpException ? exception.getStatus() : ((exception as { status?: unknown })?.status ?? (exception as { statusCode?: unknown })?.statusCode);
    if (statusGiven === 413) {
      // Fastify's words name no limit and no language: the limit is the service's setting.
      const message = `请求体超过服务允许的大小（LEDGER_BODY_LIMIT） / the request body is larger than the service takes (LEDGER_BODY_LIMIT)`;
      return { ...problemOf(413, 'BODY_TOO_LARGE', message), errors: [{ field: 'body', message }] };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const detail = typeof body === 'string' ? body : Array.isArray((body as { message?: unknown }).message) ? ((body as { message: string[] }).message.join('; ')) : String((body as { message?: unknown }).message ?? exception.message);
      const code = CODE_OF_STATUS[status] ?? `HTTP_${status}`;
      return problemOf(status, code, detail);
    }
    // The body parser's other errors (body too large, charset) carry their own 4xx status.
    const status = (exception as { status?: unknown })?.status ?? (exception as { statusCode?: unknown })?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return problemOf(status, CODE_OF_STATUS[status] ?? `HTTP_${status}`, String((exception as Error).message));
    }
    return { ...problemOf(500, 'INTERNAL', 'an internal error occurred; it has been logged'), title: 'Internal error' };
  }
}

/**
 * A problem for a caller who sees personal data masked (or has not shown who they are): identifiers
 * in its detail, messages, fields and path redacted, so that a 404 names the student it did not
 * find no more fully than an answer would have named the one it found.
 */
function redactedProblem(problem: Problem): Problem {
  return {
    ...problem,
    detail: redactText(problem.detail),
    ...(problem.errors && { errors: problem.errors.map(({ field, message }) => ({ field: redactText(field), message: redactText(message) })) }),
    ...(problem.instance !== undefined && { instance: redactText(problem.instance) }),
  };
}

const CODE_OF_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  429: 'RATE_LIMITED',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'BODY_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

const titleOf = (code: string) => code.charAt(0) + code.slice(1).toLowerCase().replace(/_/g, ' ');

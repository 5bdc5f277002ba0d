import { ArgumentsHost, ForbiddenException } from '@nestjs/common';
import type { CommandBus } from '@nestjs/cqrs';
import { RecordDisclosureCommand, hashRequest, studentsOnHoldIn } from '@ledger/application';
import { DisclosureFormat, DomainError, PurposeRequired } from '@ledger/domain';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { maskPersonalData } from '../access/personal-data';
import { ANSWERS_PERSONAL_DATA, SEES_PERSONAL_DATA } from '../access/route-permissions';
import { DisclosureNotRecordedError, type Problem } from '../http/problem-details.filter';
import { correlationIdOf, requestIdOf } from '../http/request-ids';
import { Download, Reply, Streamed, attachment, recordCountOf } from './replies';
import { actorOf, requestPathOf, routeTemplateOf } from './request-context';

/**
 * Whether an answer to this request is masked: for every caller but the roles that see personal
 * data. Fails closed — an answer with no known caller (a public route, a request refused before the
 * access guard, anything that skipped it) is masked as for the most restricted role.
 */
const masksFor = (reply: FastifyReply): boolean => {
  const actor = actorOf(reply.request);
  return !actor || !SEES_PERSONAL_DATA[actor.role];
};

const holdsUnmaskableData = (body: unknown): boolean =>
  (body instanceof Reply && body.options.personalData === true && !isJson(body.body)) || ((body instanceof Download || body instanceof Streamed) && body.personalData);

/** Plain data (objects and arrays) is JSON; strings, buffers and streams are sent as they are. */
const isJson = (body: unknown): boolean => body !== null && typeof body === 'object' && !Buffer.isBuffer(body) && !(body instanceof Readable);

/** The route → role table's key of the route a request matched (`GET /disbursements/:disbursementId`). */
const routeKeyOf = (request: FastifyRequest): string => `${request.method} ${routeTemplateOf(request)}`;

/** The format an answer is written in, as the record of disclosures names it. */
function formatOf(body: unknown): DisclosureFormat {
  const contentType = body instanceof Download || body instanceof Streamed ? body.contentType : body instanceof Reply ? (body.options.headers?.['Content-Type'] ?? '') : '';
  if (contentType.startsWith('text/csv')) return 'csv';
  if (contentType.includes('spreadsheetml')) return 'xlsx';
  if (contentType.startsWith('application/x-ndjson')) return 'ndjson';
  return 'json';
}

/**
 * The caller's stated purpose (`X-Purpose`), as text: HTTP carries header bytes as Latin-1, and a
 * client sends a Chinese purpose as its UTF-8 bytes, so the bytes are read again as UTF-8. Bytes
 * that are not UTF-8 are kept as they came: the domain refuses what no free text may hold.
 */
function purposeOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-purpose'];
  const value = Array.isArray(header) ? header.join(', ') : header;
  if (value === undefined) return undefined;
  const text = Buffer.from(value, 'latin1').toString('utf8');
  return text.includes('\uFFFD') ? value : text;
}

/** Sends the command that records a disclosure (the edge's only write, through the CommandBus and the write pipeline like every other). */
export type DisclosureRecorder = Pick<CommandBus, 'execute'>;

/**
 * The reply writer: every value a handler returns leaves through here (Nest hands it to the
 * adapter's `reply`). A `Reply`, `Download` or `Streamed` value sets its status and headers; a JSON
 * body is masked for the callers who see personal data masked. Masking here, where the answer is
 * written, costs one check per answer: an interceptor would bind an AsyncResource per request for
 * every route (15–30 % of the write throughput, measured with bench:http).
 *
 * The record of processing is kept here too, for the same reason and because every answer passes
 * here with all that it needs (the caller, the route, whether it is masked, the answer's format and
 * count): an answer of a route that answers personal data (ANSWERS_PERSONAL_DATA), sent unmasked,
 * is sent only once its disclosure is recorded (RecordDisclosureCommand); when it cannot be, the
 * answer is refused (503 DISCLOSURE_NOT_RECORDED). Every other answer is written as before, with
 * no promise and no lookup for a masked caller.
 */
export class LedgerFastifyAdapter extends FastifyAdapter {
  private recorder: DisclosureRecorder | undefined;

  /** Where disclosures are recorded (the application's CommandBus); without one, disclosing answers are refused. */
  recordDisclosuresWith(recorder: DisclosureRecorder): void {
    this.recorder = recorder;
  }

  override reply(response: FastifyReply, body: unknown, statusCode?: number) {
    const masked = masksFor(response);
    if (holdsUnmaskableData(body) && masked) {
      // Text and files cannot be masked field by field: they are not sent at all (fails closed).
      if (body instanceof Streamed) void body.chunks[Symbol.asyncIterator]().return?.();
      throw new ForbiddenException('this answer holds personal data, which your role sees masked: it is not sent');
    }
    if (!masked && ANSWERS_PERSONAL_DATA.has(routeKeyOf(response.request))) {
      // Nest awaits what `reply` returns (its response controller's `apply`): the answer waits for
      // its record, and a refusal reaches the exception filter as a problem.
      return this.recordThenWrite(response, body, statusCode) as unknown as FastifyReply;
    }
    return this.write(response, body, statusCode, masked);
  }

  /** Records the disclosure of this answer, then writes it; refuses it when the record cannot be made. */
  private async recordThenWrite(response: FastifyReply, body: unknown, statusCode?: number) {
    const request = response.request;
    const actor = actorOf(request)!;
    const route = routeKeyOf(request);
    const purpose = purposeOf(request);
    // Students on legal hold: their data is read for a stated reason or not at all, and the record names them.
    const studentsOnHold = studentsOnHoldIn(body instanceof Reply ? body.body : body);
    if (studentsOnHold.length > 0 && !purpose?.trim()) {
      if (body instanceof Streamed) void body.chunks[Symbol.asyncIterator]().return?.();
      throw new PurposeRequired('该学生处于法律保留（封存）状态：读取其个人信息须在 X-Purpose 中说明目的 / this student is on legal hold: state why you read their personal data in X-Purpose', 'X-Purpose');
    }
    const disclosure = { route, path: request.url, format: formatOf(body), records: recordCountOf(body), purpose, ...(studentsOnHold.length > 0 && { studentsOnHold }) };
    try {
      if (!this.recorder) throw new Error('no recorder of disclosures');
      await this.recorder.execute(
        new RecordDisclosureCommand(disclosure, {
          actor: { id: actor.id, role: actor.role },
          // Of the request id, never of the path: a hash of a path with an ID in it gives the ID back to a brute force.
          requestHash: hashRequest(request.method, route, { requestId: requestIdOf(request.raw) }),
          correlationId: correlationIdOf(request.raw),
          causationId: requestIdOf(request.raw),
        }),
      );
    } catch (error) {
      if (body instanceof Streamed) void body.chunks[Symbol.asyncIterator]().return?.();
      // The caller's mistake (a purpose too long) is theirs to fix: a 400 naming X-Purpose.
      if (error instanceof DomainError) throw error;
      throw new DisclosureNotRecordedError(error);
    }
    return this.write(response, body, statusCode, false);
  }

  private write(response: FastifyReply, body: unknown, statusCode: number | undefined, masked: boolean) {
    let payload = body;
    let status = statusCode;
    if (body instanceof Reply) {
      status = body.options.status ?? statusCode;
      for (const [name, value] of Object.entries(body.options.headers ?? {})) response.header(name, value);
      payload = body.body;
    } else if (body instanceof Download) {
      response.header('Content-Type', body.contentType).header('Content-Disposition', attachment(body.fileName));
      payload = body.content;
    } else if (body instanceof Streamed) {
      response.header('Content-Type', body.contentType);
      if (body.fileName) response.header('Content-Disposition', attachment(body.fileName));
      payload = Readable.from(body.chunks);
    }
    if (isJson(payload) && masked) payload = maskPersonalData(payload);
    return super.reply(response, payload, status);
  }
}

/** Answers with a problem (RFC 9457), also from outside Nest's pipeline (while shutting down). */
export function writeProblem(reply: FastifyReply, problem: Problem, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  void reply.code(problem.status).header('Content-Type', 'application/problem+json; charset=utf-8').send(JSON.stringify(problem));
}

/** What an exception filter needs of the request it answers, without knowing the framework. */
export interface ProblemAnswer {
  method: string;
  /** The path, without the query: the problem's `instance`. */
  path: string;
  /** The raw request, for the log fields (request and correlation ids). */
  raw: IncomingMessage;
  /** Whether the caller sees personal data unmasked (false without a known caller: fails closed). */
  seesPersonalData: boolean;
  send(problem: Problem, headers?: Record<string, string>): void;
}

export function problemAnswerOf(host: ArgumentsHost): ProblemAnswer {
  const http = host.switchToHttp();
  const request = http.getRequest<FastifyRequest>();
  const reply = http.getResponse<FastifyReply>();
  return {
    method: request.method,
    path: requestPathOf(request),
    raw: request.raw,
    seesPersonalData: !masksFor(reply),
    send: (problem, headers) => writeProblem(reply, problem, headers),
  };
}

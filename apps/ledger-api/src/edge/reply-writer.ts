import { ArgumentsHost, ForbiddenException } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { maskPersonalData } from '../access/personal-data';
import { SEES_PERSONAL_DATA } from '../access/route-permissions';
import type { Problem } from '../http/problem-details.filter';
import { Download, Reply, Streamed, attachment } from './replies';
import { actorOf, requestPathOf } from './request-context';

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

/**
 * The reply writer: every value a handler returns leaves through here (Nest hands it to the
 * adapter's `reply`). A `Reply`, `Download` or `Streamed` value sets its status and headers; a JSON
 * body is masked for the callers who see personal data masked. Masking here, where the answer is
 * written, costs one check per answer: an interceptor would bind an AsyncResource per request for
 * every route (15–30 % of the write throughput, measured with bench:http).
 */
export class LedgerFastifyAdapter extends FastifyAdapter {
  override reply(response: FastifyReply, body: unknown, statusCode?: number) {
    if (holdsUnmaskableData(body) && masksFor(response)) {
      // Text and files cannot be masked field by field: they are not sent at all (fails closed).
      if (body instanceof Streamed) void body.chunks[Symbol.asyncIterator]().return?.();
      throw new ForbiddenException('this answer holds personal data, which your role sees masked: it is not sent');
    }
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
    if (isJson(payload) && masksFor(response)) payload = maskPersonalData(payload);
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

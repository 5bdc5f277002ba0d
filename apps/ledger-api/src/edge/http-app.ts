import { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet from 'helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Settings } from '@ledger/application';
import { UnsupportedMediaTypeError, problemOf } from '../http/problem-details.filter';
import { requestIdOf } from '../http/request-ids';
import { requestFields } from '../logging/logging';
import { GracefulShutdown } from '../operations/graceful-shutdown';
import { LedgerMetrics } from '../operations/ledger-metrics';
import { bytesOf, registerBodyParsers } from './json-body';
import { LedgerFastifyAdapter, writeProblem } from './reply-writer';
import { actorOf, requestPathOf, routeTemplateOf } from './request-context';
import { registerUploads } from './uploads';

/** The one route whose body is multipart; any other route sent multipart is refused as not JSON. */
const MULTIPART_ROUTES: ReadonlySet<string> = new Set(['/imports']);

/**
 * The HTTP application of `module` on Fastify, with everything the edge does around the handlers:
 * request ids, the body parsers, uploads, security headers, the request log and metrics, in-flight
 * tracking for a clean shutdown, and the dashboard's files. Nest's routes are added by `init()`;
 * call `readyForRequests()` (or `listen()`) before serving.
 */
export async function createHttpApp(module: unknown, settings: Settings, logger: Logger, nestLogger: LoggerService): Promise<INestApplication> {
  const adapter = new LedgerFastifyAdapter({
    bodyLimit: bytesOf(settings.bodyLimit),
    // As Express did: `/totals/` is `/totals`, and ids in paths are as long as ids in bodies.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 },
    // The request id is ours (X-Request-Id when valid, else a UUID): the events' causation id.
    genReqId: (raw: IncomingMessage) => requestIdOf(raw),
    requestIdHeader: false,
    // Fastify logs nothing itself: the request log is one line per request, written by logRequest.
    logger: false,
    // No proxy is trusted: the client's address is the socket's (as before).
    trustProxy: false,
    // While stopping, requests still arriving are answered by the in-flight hook below (503
    // SHUTTING_DOWN as a problem), not by Fastify's own plain 503.
    return503OnClosing: false,
    // What the router refuses before any hook runs (a path that is not valid percent-encoding, a
    // parameter longer than maxParamLength) is a problem like every other refusal.
    // What Node's HTTP parser refuses before there is a request (a head too large for it, a malformed
    // request line, a client too slow to send its head): a problem too, written on the socket.
    clientErrorHandler: answerClientError,
    frameworkErrors: (error: { code: string }, request: FastifyRequest, reply: FastifyReply) => {
      const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
      const detail = status === 414 ? 'a part of the path is longer than any id (2048 characters)' : 'the path is not valid percent-encoding';
      writeProblem(reply, { ...problemOf(status, status === 414 ? 'URI_TOO_LONG' : 'BAD_REQUEST', detail), instance: requestPathOf(request) }, { 'X-Request-Id': requestIdOf(request.raw) });
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(module as never, adapter, { bodyParser: false, abortOnError: false, logger: nestLogger });
  const instance = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  instance.decorateRequest('actor', null);
  // Disclosures of personal data are recorded through the application's one write pipeline.
  adapter.recordDisclosuresWith(app.get(CommandBus, { strict: false }));

  // First of all: requests are counted in flight (for a clean shutdown); while stopping, refused.
  const shutdown = app.get(GracefulShutdown);
  instance.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    if (!shutdown.requestStarted()) {
      const problem = { ...problemOf(503, 'SHUTTING_DOWN', 'the service is stopping; retry on another instance or after it restarts'), instance: requestPathOf(request) };
      writeProblem(reply, problem, { Connection: 'close', 'Retry-After': '5' });
      return;
    }
    let counted = true;
    const ended = () => {
      if (counted) shutdown.requestEnded();
      counted = false;
    };
    reply.raw.once('finish', ended);
    reply.raw.once('close', ended);
    done();
  });
  // Requests by route (metrics) and, when the request log is on, one line as each ends.
  const metrics = app.get(LedgerMetrics);
  instance.addHook('onResponse', (request, reply, done) => {
    metrics.requestEnded(request.method, routeTemplateOf(request) ?? 'unmatched', reply.statusCode);
    if (settings.requestLog) logRequest(logger, request, reply);
    done();
  });

  registerBodyParsers(instance, bytesOf(settings.bodyLimit));
  await registerUploads(instance, { fileSize: settings.uploadLimitBytes, limitText: settings.uploadLimit });
  instance.addHook('preValidation', (request, _reply, done) => {
    if (request.isMultipart() && !MULTIPART_ROUTES.has(routeTemplateOf(request) ?? '')) {
      done(new UnsupportedMediaTypeError('Content-Type', 'the body must be JSON, sent with Content-Type: application/json (this one was sent as multipart/form-data)'));
    } else done();
  });
  // Security headers, the same on every answer: helmet's, taken once at start (see securityHeaders).
  const security = securityHeaders();
  instance.addHook('onRequest', (_request, reply, done) => {
    reply.headers(security);
    done();
  });
  await serveDashboard(instance, settings.dashboardDir);
  return app;
}

/** The answer to a request Node's HTTP parser could not read, as problem+json, then the connection is closed. */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'the request line and headers are larger than the service reads (16 KiB): a path or a header this long is no request of the ledger']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'the request did not arrive in time']
        : [400, 'BAD_REQUEST', 'the request is not HTTP the service can read'];
  const body = JSON.stringify(problemOf(status, code, detail));
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}

/**
 * helmet's security headers (CSP, HSTS, frame and referrer policies, …), with no forced HTTPS upgrade:
 * the service is often reached over plain HTTP on an intranet. They depend on nothing in a request
 * (no CSP nonces), so helmet runs once here on a stand-in response and every answer gets the headers
 * it set. @fastify/helmet would rebuild helmet's middleware, CSP parsing included, on every request:
 * a quarter of the totals query's throughput (npm run bench:http).
 */
export function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: unknown) => void (headers[name] = String(value)),
    removeHeader: (name: string) => void delete headers[name],
  };
  let failed: unknown;
  helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } })({} as never, response as never, (error?: unknown) => (failed = error));
  if (failed) throw failed;
  return headers;
}

/**
 * The bureau dashboard, when it has been built (npm start builds it): its page at / and its
 * bundles under /assets (named by content hash: cached for a year) — mounted there only, so that
 * API requests never look for files on disk.
 */
async function serveDashboard(instance: FastifyInstance, dashboardDir: string): Promise<void> {
  if (!existsSync(join(dashboardDir, 'index.html'))) return;
  await instance.register(fastifyStatic, { root: join(dashboardDir, 'assets'), prefix: '/assets/', immutable: true, maxAge: '1y' });
  instance.get('/', (_request, reply) => reply.sendFile('index.html', dashboardDir, { immutable: false, maxAge: 0 }));
}

/** One line per request: method, redacted path, status, duration, request and correlation ids, caller. */
function logRequest(logger: Logger, request: FastifyRequest, reply: FastifyReply): void {
  const ms = Math.round(reply.elapsedTime * 10) / 10;
  const { statusCode } = reply;
  const level = statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
  const fields = requestFields(request.raw, actorOf(request));
  logger[level]({ ...fields, res: { statusCode }, responseTime: ms }, `${request.method} ${fields.req.url} ${statusCode} ${ms} ms`);
}

/** Nest's routes are in the router and every plugin is loaded: the app answers requests (supertest needs this). */
export async function readyForRequests(app: INestApplication): Promise<void> {
  await app.init();
  await (app.getHttpAdapter().getInstance() as unknown as FastifyInstance).ready();
}

/**
 * Listens on every interface, as Node's own default does (Fastify's is localhost only, which a
 * container's published port or another machine on the intranet could not reach): IPv6 and IPv4
 * where the host has IPv6, IPv4 alone where it has not.
 */
export async function listenOnAllInterfaces(app: INestApplication, port: number): Promise<void> {
  const hasIpv6 = Object.values(networkInterfaces()).some((addresses) => addresses?.some((address) => address.family === 'IPv6'));
  await app.listen(port, hasIpv6 ? '::' : '0.0.0.0');
}

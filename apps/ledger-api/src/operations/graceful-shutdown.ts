import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import type { Server } from 'node:http';
import { SETTINGS, Settings } from '@ledger/application';
import { problemOf, sendProblem } from '../http/problem-details.filter';

/**
 * Clean shutdown, first half (the stores' half is StoresLifecycle.onApplicationShutdown): on
 * SIGTERM stop accepting connections, answer requests that still arrive on open connections with
 * 503 + `Connection: close` (nothing of theirs is written, so nothing is lost), and wait for the
 * requests in flight to finish — their writes commit and they get their answers — bounded by
 * LEDGER_SHUTDOWN_GRACE_MS. Only then do the stores close.
 */
@Injectable()
export class GracefulShutdown implements BeforeApplicationShutdown {
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private stopping = false;
  private readonly logger = new Logger('Shutdown');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  get draining(): boolean {
    return this.stopping;
  }

  /** Express middleware: counts requests in flight; refuses new ones while draining. */
  readonly track = (request: Request, response: Response, next: NextFunction) => {
    if (this.stopping) {
      response.setHeader('Connection', 'close');
      response.setHeader('Retry-After', '5');
      sendProblem(response, {
        ...problemOf(503, 'SHUTTING_DOWN', 'the service is stopping; retry on another instance or after it restarts'),
        instance: request.path,
      });
      return;
    }
    this.inFlight++;
    let counted = true;
    const done = () => {
      if (!counted) return;
      counted = false;
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    };
    response.once('finish', done);
    response.once('close', done);
    next();
  };

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.stopping = true;
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (server?.listening) {
      server.close();
      server.closeIdleConnections();
    }
    const started = Date.now();
    if (this.inFlight > 0) {
      this.logger.log(`${signal ?? 'shutdown'}: waiting for ${this.inFlight} request(s) in flight`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.settings.shutdownGraceMs);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    server?.closeIdleConnections();
    this.logger.log(`${signal ?? 'shutdown'}: ${this.inFlight === 0 ? 'every request finished' : `${this.inFlight} request(s) still running after ${this.settings.shutdownGraceMs} ms`} (${Date.now() - started} ms); closing the stores`);
  }
}

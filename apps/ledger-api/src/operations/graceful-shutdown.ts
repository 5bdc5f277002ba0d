import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { SETTINGS, Settings } from '@ledger/application';

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

  /**
   * A request arrives (the edge calls this first of all): counted in flight, or — false — refused
   * while draining (the edge answers 503 SHUTTING_DOWN with `Connection: close`).
   */
  requestStarted(): boolean {
    if (this.stopping) return false;
    this.inFlight++;
    return true;
  }

  /** A request counted by requestStarted has been answered (or its client went away). */
  requestEnded(): void {
    this.inFlight--;
    if (this.inFlight === 0) this.drained?.();
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.stopping = true;
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    // Resolves when the last connection has ended (or at once, when the server was not listening).
    const connectionsEnded = new Promise<void>((resolve) => (server?.listening ? server.close(() => resolve()) : resolve()));
    server?.closeIdleConnections();
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
    // Answers still being written (to a client that stopped reading, say) get what is left of the
    // grace; then their connections are closed, so that no client can keep the service from stopping.
    const left = Math.max(this.settings.shutdownGraceMs - (Date.now() - started), 0);
    let timer: NodeJS.Timeout | undefined;
    const cut = await Promise.race([connectionsEnded.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), left)))]);
    clearTimeout(timer);
    if (cut) {
      this.logger.warn(`${signal ?? 'shutdown'}: answers still being written after ${this.settings.shutdownGraceMs} ms (a client not reading): their connections are closed`);
      server?.closeAllConnections();
    }
    this.logger.log(`${signal ?? 'shutdown'}: ${this.inFlight === 0 ? 'every request finished' : `${this.inFlight} request(s) still running after ${this.settings.shutdownGraceMs} ms`} (${Date.now() - started} ms); closing the stores`);
  }
}

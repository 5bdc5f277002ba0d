import { EventEmitter } from 'node:events';
import { EventStore, GlobalPosition, Subscription, SubscriptionHandler } from './event-store.port';

/**
 * A catch-up subscription over any store that can page its log: reads pages after the last
 * position handed to the handler, and once at the head waits for the store's "appended" signal
 * (same process) or the poll interval (writes by another process, e.g. the CLI).
 */
export class PollingSubscription implements Subscription {
  readonly done: Promise<void>;
  private position: GlobalPosition;
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly catchUpWaiters: Array<{ target: GlobalPosition; resolve: () => void }> = [];

  constructor(
    private readonly store: Pick<EventStore, 'readAll' | 'headPosition'>,
    private readonly handler: SubscriptionHandler,
    private readonly options: { after: GlobalPosition; batchSize: number; pollIntervalMs: number; notifier?: EventEmitter },
  ) {
    this.position = options.after;
    this.done = this.run();
    this.done.catch(() => undefined);
  }

  private async run(): Promise<void> {
    const onAppended = () => this.wake?.();
    this.options.notifier?.on('appended', onAppended);
    try {
      while (!this.stopped) {
        const page = await this.store.readAll({ after: this.position, maxCount: this.options.batchSize });
        if (this.stopped) break;
        if (page.length > 0) {
          await this.handler(page);
          this.position = page[page.length - 1].position;
          this.releaseWaiters();
          // Catching up on a large batch is many pages, each read and applied synchronously: let the
          // event loop run between them (requests, /health), or it would not until the last one.
          await new Promise((resolve) => setImmediate(resolve));
          continue;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.options.pollIntervalMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    } finally {
      this.options.notifier?.off('appended', onAppended);
      this.releaseWaiters(true);
    }
  }

  /** Wakes callers of caughtUp() whose target is reached (all of them when stopping). */
  private releaseWaiters(stopping = false): void {
    for (let i = this.catchUpWaiters.length - 1; i >= 0; i--) {
      const waiter = this.catchUpWaiters[i];
      if (stopping || this.position >= waiter.target) {
        this.catchUpWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  async caughtUp(): Promise<void> {
    const target = await this.store.headPosition();
    if (this.position >= target || this.stopped) return;
    await new Promise<void>((resolve) => {
      this.catchUpWaiters.push({ target, resolve });
      this.wake?.();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.done.catch(() => undefined);
  }
}

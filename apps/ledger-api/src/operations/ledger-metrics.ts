import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CommandEnding, CommandObserver } from '@ledger/application';
import { AppendObservation, EventStore } from '@ledger/event-store';
import { ReadModels } from '@ledger/projections';

/** Lag is counted by reading the log after a checkpoint, up to this many events ("at least" beyond). */
export const LAG_COUNT_LIMIT = 10_000;
/** Events per second are averaged over this window. */
const RATE_WINDOW_SECONDS = 10;

/**
 * The service's Prometheus metrics (prom-client), one registry per service instance:
 * - ledger_commands_total{command, outcome, code} and ledger_command_duration_seconds{command}
 * - ledger_append_duration_seconds (every append to the store, chain link included)
 * - ledger_events_appended_total and ledger_events_per_second (over the last 10 s)
 * - ledger_projection_lag_events{projection}: events in the log the projection has not applied
 * - ledger_log_head_position, ledger_http_requests_total{method, route, status}
 * - Node's process metrics (ledger_process_*, ledger_nodejs_*).
 */
export class LedgerMetrics implements CommandObserver {
  readonly registry = new Registry();
  private readonly commands = new Counter({
    name: 'ledger_commands_total',
    help: 'Commands by type and how they ended (recorded, replayed, unchanged, refused, failed), with the refusal code',
    labelNames: ['command', 'outcome', 'code'] as const,
    registers: [this.registry],
  });
  private readonly commandSeconds = new Histogram({
    name: 'ledger_command_duration_seconds',
    help: 'Time to load, decide and append one command',
    labelNames: ['command'] as const,
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly appendSeconds = new Histogram({
    name: 'ledger_append_duration_seconds',
    help: 'Time of one append to the event store until it is durable',
    labelNames: ['result'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  private readonly eventsAppended = new Counter({ name: 'ledger_events_appended_total', help: 'Events appended to the log by this instance', registers: [this.registry] });
  private readonly httpRequests = new Counter({
    name: 'ledger_http_requests_total',
    help: 'HTTP requests by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  /** Events appended per whole second, for the last RATE_WINDOW_SECONDS seconds. */
  private readonly recent = new Map<number, number>();

  /** Adds the gauges read from the log and the read models at each scrape. */
  observeReadSide(store: EventStore, models: ReadModels): void {
    const recent = this.recent;
    new Gauge({
      name: 'ledger_events_per_second',
      help: `Events appended per second by this instance, averaged over the last ${RATE_WINDOW_SECONDS} s`,
      registers: [this.registry],
      collect() {
        const now = Math.floor(Date.now() / 1000);
        let events = 0;
        for (const [second, count] of recent) {
          if (second <= now - RATE_WINDOW_SECONDS) recent.delete(second);
          else events += count;
        }
        this.set(events / RATE_WINDOW_SECONDS);
      },
    });
    new Gauge({
      name: 'ledger_log_head_position',
      help: 'Position of the last event in the log',
      registers: [this.registry],
      async collect() {
        // While the store is unreachable the head is unknown (NaN), and the rest of the scrape still answers.
        try {
          this.set(Number(await store.headPosition()));
        } catch {
          this.set(Number.NaN);
        }
      },
    });
    new Gauge({
      name: 'ledger_projection_lag_events',
      help: `Events in the log a projection has not applied yet (counted up to ${LAG_COUNT_LIMIT})`,
      labelNames: ['projection'] as const,
      registers: [this.registry],
      async collect() {
        const counted = new Map<bigint, number>();
        try {
          for (const [projection, checkpoint] of models.checkpointsByProjection) {
            if (!counted.has(checkpoint)) counted.set(checkpoint, (await store.readAll({ after: checkpoint, maxCount: LAG_COUNT_LIMIT })).length);
            this.set({ projection }, counted.get(checkpoint)!);
          }
        } catch {
          this.reset();
        }
      },
    });
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'ledger_' });
  }

  commandEnded(command: string, ending: CommandEnding, code: string | undefined, seconds: number): void {
    this.commands.inc({ command, outcome: ending, code: code ?? '' });
    this.commandSeconds.observe({ command }, seconds);
  }

  appended({ events, seconds, ok }: AppendObservation): void {
    this.appendSeconds.observe({ result: ok ? 'ok' : 'failed' }, seconds);
    if (events === 0) return;
    this.eventsAppended.inc(events);
    const second = Math.floor(Date.now() / 1000);
    if (!this.recent.has(second)) for (const old of this.recent.keys()) if (old <= second - RATE_WINDOW_SECONDS) this.recent.delete(old);
    this.recent.set(second, (this.recent.get(second) ?? 0) + events);
  }

  requestEnded(method: string, route: string, status: number): void {
    this.httpRequests.inc({ method, route, status: String(status) });
  }
}

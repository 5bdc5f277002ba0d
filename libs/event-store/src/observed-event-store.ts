import { DelegatingEventStore } from './delegating-event-store';
import { AppendResult, EventStore, EventToAppend, ExpectedVersion, StreamAppend } from './event-store.port';

/** What one append (or atomic multi-stream append) did: events newly written, time taken, success. */
export interface AppendObservation {
  events: number;
  seconds: number;
  ok: boolean;
}

/**
 * Any store, with every append timed and counted for the caller (the service's metrics). Reads
 * pass straight through.
 */
export class ObservedEventStore extends DelegatingEventStore {
  constructor(
    inner: EventStore,
    private readonly observe: (observation: AppendObservation) => void,
  ) {
    super(inner);
  }

  private async timed(append: () => Promise<AppendResult[]>): Promise<AppendResult[]> {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const results = await append();
      const events = results.reduce((sum, result) => sum + (result.alreadyAppended ? 0 : result.events.length), 0);
      this.observe({ events, seconds: seconds(), ok: true });
      return results;
    } catch (error) {
      this.observe({ events: 0, seconds: seconds(), ok: false });
      throw error;
    }
  }

  override async appendToStream(streamId: string, events: EventToAppend[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    const [result] = await this.timed(async () => [await this.inner.appendToStream(streamId, events, expectedVersion)]);
    return result;
  }

  override get appendAtomically(): EventStore['appendAtomically'] {
    const { inner } = this;
    if (!inner.appendAtomically) return undefined;
    return (appends: StreamAppend[]) => this.timed(() => inner.appendAtomically!(appends));
  }

  override get appendAtomicallyInParts(): EventStore['appendAtomicallyInParts'] {
    const { inner } = this;
    if (!inner.appendAtomicallyInParts) return undefined;
    return async (parts: AsyncIterable<StreamAppend[]>) => {
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      try {
        const written = await inner.appendAtomicallyInParts!(parts);
        this.observe({ events: written.events, seconds: seconds(), ok: true });
        return written;
      } catch (error) {
        this.observe({ events: 0, seconds: seconds(), ok: false });
        throw error;
      }
    };
  }
}

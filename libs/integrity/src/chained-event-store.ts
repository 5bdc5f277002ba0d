import { AppendResult, DelegatingEventStore, EventStore, EventToAppend, ExpectedVersion, StoredEvent, StreamAppend } from '@ledger/event-store';
import { eventHash, integrityOf } from './event-hash';

/**
 * Wraps any event store so that every appended event carries its link in the stream's hash
 * chain. The predecessor is the event at the expected revision (the ledger always states one),
 * so the chain holds on EventStoreDB as on SQLite; a retried append computes the same hashes.
 */
export class ChainedEventStore extends DelegatingEventStore {
  /**
   * The last event (revision, hash) of recently read or written streams: a command reads its stream,
   * decides and appends at that revision, so the link is usually known without reading again.
   */
  private readonly heads = new Map<string, { revision: number; hash: string | null }>();
  private static readonly MAX_HEADS = 10_000;

  private remember(streamId: string, revision: number, hash: string | null) {
    this.heads.delete(streamId);
    if (this.heads.size >= ChainedEventStore.MAX_HEADS) this.heads.delete(this.heads.keys().next().value!);
    this.heads.set(streamId, { revision, hash });
  }

  override async appendToStream(streamId: string, events: EventToAppend[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    const chained = await this.chain(streamId, events, expectedVersion);
    const result = await this.inner.appendToStream(streamId, chained, expectedVersion);
    const last = result.events[result.events.length - 1];
    if (last) this.remember(streamId, last.revision, integrityOf(last)?.hash ?? null);
    return result;
  }

  override get appendAtomically(): EventStore['appendAtomically'] {
    const inner = this.inner;
    if (!inner.appendAtomically) return undefined;
    return async (appends: StreamAppend[]) =>
      inner.appendAtomically!(
        await Promise.all(appends.map(async (append) => ({ ...append, events: await this.chain(append.streamId, append.events, append.expectedVersion) }))),
      );
  }

  /** The events with their links in the stream's chain. */
  private async chain(streamId: string, events: EventToAppend[], expectedVersion: ExpectedVersion): Promise<EventToAppend[]> {
    let previousRevision: number;
    let previous: string | null = null;
    const known = this.heads.get(streamId);
    if (expectedVersion === 'no_stream') previousRevision = -1;
    else if (typeof expectedVersion === 'number' && known?.revision === expectedVersion) {
      previousRevision = known.revision;
      previous = known.hash;
    } else {
      const stored = await this.inner.readStream(streamId, { fromRevision: expectedVersion === 'any' ? 0 : expectedVersion });
      const last = expectedVersion === 'any' ? stored[stored.length - 1] : stored[0];
      previousRevision = last?.revision ?? -1;
      previous = last ? (integrityOf(last)?.hash ?? null) : null;
    }
    return events.map((event, i) => {
      const hash = eventHash({ ...event, streamId, revision: previousRevision + 1 + i }, previous);
      const link = { ...event, metadata: { ...event.metadata, integrity: { v: 1, previous, hash } } };
      previous = hash;
      return link;
    });
  }

  override async readStream(streamId: string, options?: { fromRevision?: number }): Promise<StoredEvent[]> {
    const events = await this.inner.readStream(streamId, options);
    const last = events[events.length - 1];
    if (last) this.remember(streamId, last.revision, integrityOf(last)?.hash ?? null);
    return events;
  }
}

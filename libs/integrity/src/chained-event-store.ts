import { AppendResult, DelegatingEventStore, EventMetadata, EventStore, EventToAppend, ExpectedVersion, StoredEvent, StreamAppend } from '@ledger/event-store';
import { eventHash, hashedMetadataJson, integrityOf } from './event-hash';

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
    return async (appends: StreamAppend[]) => inner.appendAtomically!(await this.linkAll(appends));
  }

  override get appendAtomicallyInParts(): EventStore['appendAtomicallyInParts'] {
    const inner = this.inner;
    if (!inner.appendAtomicallyInParts) return undefined;
    const linkParts = async function* (store: ChainedEventStore, parts: AsyncIterable<StreamAppend[]>): AsyncGenerator<StreamAppend[]> {
      // An import's events share one metadata object: written out once for the whole batch.
      const metadataJson = new Map<EventMetadata, string>();
      for await (const part of parts) yield await store.linkAll(part, metadataJson);
    };
    return (parts: AsyncIterable<StreamAppend[]>) => inner.appendAtomicallyInParts!(linkParts(this, parts));
  }

  /** Every append of an atomic batch with its events linked into its stream's chain. */
  private async linkAll(appends: StreamAppend[], metadataJson = new Map<EventMetadata, string>()): Promise<StreamAppend[]> {
    const linked: StreamAppend[] = [];
    let sliceStarted = performance.now();
    for (const append of appends) {
      // Hashing 300,000 events takes seconds: let the event loop run every few milliseconds.
      if (performance.now() - sliceStarted >= 10) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStarted = performance.now();
      }
      // A large import is mostly new streams: link them without a promise each.
      const predecessor = this.knownPredecessor(append.streamId, append.expectedVersion) ?? (await this.readPredecessor(append.streamId, append.expectedVersion));
      linked.push({ streamId: append.streamId, expectedVersion: append.expectedVersion, events: this.link(append.streamId, append.events, predecessor, metadataJson) });
    }
    return linked;
  }

  /** The events with their links in the stream's chain. */
  private async chain(streamId: string, events: EventToAppend[], expectedVersion: ExpectedVersion): Promise<EventToAppend[]> {
    const predecessor = this.knownPredecessor(streamId, expectedVersion) ?? (await this.readPredecessor(streamId, expectedVersion));
    return this.link(streamId, events, predecessor);
  }

  /** The stream's last event (revision, hash) when known without reading: a new stream, or the remembered head. */
  private knownPredecessor(streamId: string, expectedVersion: ExpectedVersion): { revision: number; hash: string | null } | undefined {
    if (expectedVersion === 'no_stream') return { revision: -1, hash: null };
    const known = this.heads.get(streamId);
    return typeof expectedVersion === 'number' && known?.revision === expectedVersion ? known : undefined;
  }

  private async readPredecessor(streamId: string, expectedVersion: ExpectedVersion): Promise<{ revision: number; hash: string | null }> {
    const stored = await this.inner.readStream(streamId, { fromRevision: expectedVersion === 'any' ? 0 : (expectedVersion as number) });
    const last = expectedVersion === 'any' ? stored[stored.length - 1] : stored[0];
    return { revision: last?.revision ?? -1, hash: last ? (integrityOf(last)?.hash ?? null) : null };
  }

  private link(
    streamId: string,
    events: EventToAppend[],
    predecessor: { revision: number; hash: string | null },
    metadataJson = new Map<EventMetadata, string>(),
  ): EventToAppend[] {
    let previous = predecessor.hash;
    const linked: EventToAppend[] = [];
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      let hashedMetadata = metadataJson.get(event.metadata);
      if (hashedMetadata === undefined) metadataJson.set(event.metadata, (hashedMetadata = hashedMetadataJson(event.metadata)));
      const hash = eventHash(
        { eventId: event.eventId, streamId, revision: predecessor.revision + 1 + i, type: event.type, schemaVersion: event.schemaVersion, data: event.data, metadata: event.metadata },
        previous,
        hashedMetadata,
      );
      linked.push({ eventId: event.eventId, type: event.type, schemaVersion: event.schemaVersion, data: event.data, metadata: { ...event.metadata, integrity: { v: 1, previous, hash } } });
      previous = hash;
    }
    return linked;
  }

  override async readStream(streamId: string, options?: { fromRevision?: number }): Promise<StoredEvent[]> {
    const events = await this.inner.readStream(streamId, options);
    const last = events[events.length - 1];
    if (last) this.remember(streamId, last.revision, integrityOf(last)?.hash ?? null);
    return events;
  }
}

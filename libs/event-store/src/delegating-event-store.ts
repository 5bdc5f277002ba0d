import {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedVersion,
  GlobalPosition,
  ReadAllOptions,
  StoredEvent,
  SubscribeOptions,
  Subscription,
  SubscriptionHandler,
} from './event-store.port';

/**
 * A store that hands every call to another: the base of the decorators (hash chain, metrics),
 * which override only what they add to.
 */
export abstract class DelegatingEventStore implements EventStore {
  constructor(readonly inner: EventStore) {}

  get consecutivePositions(): boolean {
    return this.inner.consecutivePositions;
  }

  appendToStream(streamId: string, events: EventToAppend[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    return this.inner.appendToStream(streamId, events, expectedVersion);
  }
  get appendAtomically(): EventStore['appendAtomically'] {
    return this.inner.appendAtomically?.bind(this.inner);
  }
  get appendAtomicallyInParts(): EventStore['appendAtomicallyInParts'] {
    return this.inner.appendAtomicallyInParts?.bind(this.inner);
  }
  readStream(streamId: string, options?: { fromRevision?: number }): Promise<StoredEvent[]> {
    return this.inner.readStream(streamId, options);
  }
  readAll(options: ReadAllOptions): Promise<StoredEvent[]> {
    return this.inner.readAll(options);
  }
  headPosition(): Promise<GlobalPosition> {
    return this.inner.headPosition();
  }
  subscribeToAll(handler: SubscriptionHandler, options?: SubscribeOptions): Subscription {
    return this.inner.subscribeToAll(handler, options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

import { EventStore, EventStoreDbEventStore, SqliteEventStore } from '@ledger/event-store';
import { ChainedEventStore } from '@ledger/integrity';
import { Settings } from './settings';

/**
 * The event store the settings choose — the embedded SQLite file, or EventStoreDB — with every
 * append linked into its stream's hash chain. `readonly`: the SQLite file opened read-only (it must
 * exist); EventStoreDB has nothing to create and is read over the same connection.
 */
export function createEventStore(settings: Settings, options: { readonly?: boolean } = {}): EventStore {
  const store =
    settings.eventStore === 'eventstoredb'
      ? new EventStoreDbEventStore(settings.eventStoreDbUrl!, { streamPrefix: settings.eventStoreDbStreamPrefix })
      : new SqliteEventStore({ path: settings.eventStorePath, readonly: options.readonly });
  return new ChainedEventStore(store);
}

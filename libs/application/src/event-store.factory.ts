import { EventStore, EventStoreDbEventStore, SqliteEventStore } from '@ledger/event-store';
import { ChainedEventStore } from '@ledger/integrity';
import { Settings } from './settings';

/**
 * The event store the settings choose — the embedded SQLite file, or EventStoreDB — with every
 * append linked into its stream's hash chain.
 */
export function createEventStore(settings: Settings): EventStore {
  const store =
    settings.eventStore === 'eventstoredb'
      ? new EventStoreDbEventStore(settings.eventStoreDbUrl!, { streamPrefix: settings.eventStoreDbStreamPrefix })
      : new SqliteEventStore({ path: settings.eventStorePath });
  return new ChainedEventStore(store);
}

import { EventStore, EventStoreDbEventStore, SqliteEventStore } from '@ledger/event-store';
import { Settings } from './settings';

/** The event store the settings choose: the embedded SQLite file, or EventStoreDB. */
export function createEventStore(settings: Settings): EventStore {
  return settings.eventStore === 'eventstoredb'
    ? new EventStoreDbEventStore(settings.eventStoreDbUrl!, { streamPrefix: settings.eventStoreDbStreamPrefix })
    : new SqliteEventStore({ path: settings.eventStorePath });
}

export * from './event-store.port';
export * from './sqlite/sqlite-event-store';
export * from './polling-subscription';
export * from './eventstoredb/eventstoredb-event-store';
export * from './delegating-event-store';
export * from './observed-event-store';
export * from './sqlite/wal-checkpointer';

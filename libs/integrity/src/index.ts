export * from './merkle';
export * from './event-hash';
export * from './chained-event-store';
export * from './digest';
export * from './verify-log';
export * from './proof-check';
export * from './log-witness';

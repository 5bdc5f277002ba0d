export * from './demo-ledger';
export * from './demo-ledger-marker';
export * from './seed-demo';

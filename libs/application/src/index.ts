export * from './tokens';
export * from './settings';
export * from './catalog.loader';
export * from './write-context';
export * from './command-runner.service';
export * from './ledger.commands';
export * from './access/access-tokens';
export * from './access/access-control.service';

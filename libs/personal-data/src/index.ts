export * from './errors';
export * from './student-key';
export * from './key-encryption-key';
export * from './seal';
export * from './student-key-store';
export * from './identity-index';

export * from './envelope';
export * from './keyed-queue';
export * from './write-pipeline';

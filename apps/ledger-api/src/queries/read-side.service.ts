// The read side lives with the use cases (libs/application); kept here for the controllers' imports.
export { ReadSide, ReadModelsBehind } from '@ledger/application';

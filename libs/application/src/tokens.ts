/** Injection tokens of the ledger's infrastructure. */
export const SETTINGS = Symbol('SETTINGS');
export const CATALOG = Symbol('CATALOG');
export const EVENT_STORE = Symbol('EVENT_STORE');
export const READ_MODELS = Symbol('READ_MODELS');
export const DECLARED_REPORTS = Symbol('DECLARED_REPORTS');
/** Optional: who is told how each command ended (the service's metrics). */
export const COMMAND_OBSERVER = Symbol('COMMAND_OBSERVER');
/** Optional: the Clock commands are decided by (the system's when not provided). */
export const CLOCK = Symbol('CLOCK');
/** The key store and identity index of students' personal data (a PersonalDataVault); absent where no ledger is open. */
export const PERSONAL_DATA_VAULT = Symbol('PERSONAL_DATA_VAULT');

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * Every setting of the service, read once from the environment and checked; a bad value stops
 * the service at start with a message naming the variable.
 */
export interface Settings {
  /** HTTP port (`PORT`, default 3000). */
  port: number;
  /** Directory of the data files (`LEDGER_DATA_DIR`, default `./data`). */
  dataDir: string;
  /** Which store holds the event log (`LEDGER_EVENT_STORE`: `sqlite`, the default, or `eventstoredb`). */
  eventStore: 'sqlite' | 'eventstoredb';
  /** EventStoreDB connection string, single node or cluster (`LEDGER_EVENTSTOREDB_URL`). */
  eventStoreDbUrl?: string;
  /** Prefix of the ledger's streams on EventStoreDB (`LEDGER_EVENTSTOREDB_STREAM_PREFIX`, default none). */
  eventStoreDbStreamPrefix: string;
  /** The embedded event log: `<dataDir>/ledger.sqlite`. Back this up; it is the ledger. */
  eventStorePath: string;
  /** Read models, derived from the log: `<dataDir>/read-models.sqlite`. Safe to delete. */
  readModelsPath: string;
  /** The program catalog (`LEDGER_CATALOG`, default `config/programs.yaml`). */
  catalogPath: string;
  /** Which payment-list columns feed which fields (`LEDGER_IMPORT_COLUMNS`, default `config/import-columns.yaml`). */
  importColumnsPath: string;
  /** Declared reports to reconcile with (`LEDGER_REPORTS_DIR`, default `config/reports`). */
  reportsDir: string;
  /** The built dashboard served at / (`LEDGER_DASHBOARD_DIR`, default `dist/dashboard`, built by `npm start`). */
  dashboardDir: string;
  /** Largest request body accepted (`LEDGER_BODY_LIMIT`, default `1mb`). */
  bodyLimit: string;
  /** The Ed25519 key that signs log digests (`LEDGER_SIGNING_KEY_FILE`, default `<dataDir>/signing-key.pem`, made on first start). */
  signingKeyFile: string;
  /** Sign a digest of the log every this many events (`LEDGER_DIGEST_EVERY`, default 1000; 0 = only on demand). */
  digestEvery: number;
  /** Requests per minute per client (token, else IP) (`LEDGER_RATE_LIMIT`, default 6000; 0 = no limit). */
  rateLimitPerMinute: number;
  /** Log every request (`LEDGER_REQUEST_LOG`, default `true`). */
  requestLog: boolean;
}

export class SettingsError extends Error {
  constructor(variable: string, problem: string) {
    super(`invalid setting ${variable}: ${problem}`);
    this.name = 'SettingsError';
  }
}


function projectRoot(): string {
  // Compiled files live under dist/libs/..., sources under libs/...: both resolve to the checkout.
  return resolve(__dirname, '..', '..', '..').replace(/[\\/]dist$/, '');
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const portText = env.PORT ?? '3000';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 0 || port > 65535) throw new SettingsError('PORT', `"${portText}" is not a port number (0–65535)`);
  const root = projectRoot();
  const fromRoot = (path: string) => (isAbsolute(path) ? path : resolve(process.cwd(), path));
  const dataDirText = env.LEDGER_DATA_DIR ?? 'data';
  if (dataDirText.trim() === '') throw new SettingsError('LEDGER_DATA_DIR', 'must not be empty');
  const dataDir = fromRoot(dataDirText);
  const catalogPath = env.LEDGER_CATALOG ? fromRoot(env.LEDGER_CATALOG) : join(root, 'config', 'programs.yaml');
  const bodyLimit = env.LEDGER_BODY_LIMIT ?? '1mb';
  if (!/^\d+(b|kb|mb)$/i.test(bodyLimit)) throw new SettingsError('LEDGER_BODY_LIMIT', `"${bodyLimit}" is not a size like 512kb or 1mb`);
  const eventStore = env.LEDGER_EVENT_STORE ?? 'sqlite';
  if (eventStore !== 'sqlite' && eventStore !== 'eventstoredb') throw new SettingsError('LEDGER_EVENT_STORE', `"${eventStore}" is neither sqlite nor eventstoredb`);
  const eventStoreDbUrl = env.LEDGER_EVENTSTOREDB_URL;
  if (eventStore === 'eventstoredb' && !eventStoreDbUrl) {
    throw new SettingsError('LEDGER_EVENTSTOREDB_URL', 'is required with LEDGER_EVENT_STORE=eventstoredb (e.g. esdb://localhost:2113?tls=false)');
  }
  if (eventStoreDbUrl && !/^esdb(\+discover)?:\/\/\S+$/.test(eventStoreDbUrl)) {
    throw new SettingsError('LEDGER_EVENTSTOREDB_URL', 'must start with esdb:// or esdb+discover://');
  }
  const rateText = env.LEDGER_RATE_LIMIT ?? '6000';
  if (!/^\d+$/.test(rateText)) throw new SettingsError('LEDGER_RATE_LIMIT', `"${rateText}" is not a whole number of requests per minute`);
  const digestEveryText = env.LEDGER_DIGEST_EVERY ?? '1000';
  if (!/^\d+$/.test(digestEveryText)) throw new SettingsError('LEDGER_DIGEST_EVERY', `"${digestEveryText}" is not a whole number of events`);
  const requestLogText = (env.LEDGER_REQUEST_LOG ?? 'true').toLowerCase();
  if (!['true', 'false'].includes(requestLogText)) throw new SettingsError('LEDGER_REQUEST_LOG', 'must be true or false');
  return {
    port,
    dataDir,
    eventStore,
    ...(eventStoreDbUrl && { eventStoreDbUrl }),
    eventStoreDbStreamPrefix: env.LEDGER_EVENTSTOREDB_STREAM_PREFIX ?? '',
    eventStorePath: join(dataDir, 'ledger.sqlite'),
    readModelsPath: join(dataDir, 'read-models.sqlite'),
    catalogPath,
    dashboardDir: env.LEDGER_DASHBOARD_DIR ? fromRoot(env.LEDGER_DASHBOARD_DIR) : join(root, 'dist', 'dashboard'),
    importColumnsPath: env.LEDGER_IMPORT_COLUMNS ? fromRoot(env.LEDGER_IMPORT_COLUMNS) : join(root, 'config', 'import-columns.yaml'),
    reportsDir: env.LEDGER_REPORTS_DIR ? fromRoot(env.LEDGER_REPORTS_DIR) : join(root, 'config', 'reports'),
    bodyLimit,
    signingKeyFile: env.LEDGER_SIGNING_KEY_FILE ? fromRoot(env.LEDGER_SIGNING_KEY_FILE) : join(dataDir, 'signing-key.pem'),
    digestEvery: Number(digestEveryText),
    rateLimitPerMinute: Number(rateText),
    requestLog: requestLogText === 'true',
  };
}

/**
 * Refuses to start on a data directory that cannot be written (a read-only mount, wrong owner):
 * found by writing a probe file, which is what counts — `access()` says yes to root on a
 * read-only directory. Better one clear line at start than a raw SQLite error on the first write.
 */
export function assertDataDirWritable(settings: Pick<Settings, 'dataDir'>): void {
  const probe = join(settings.dataDir, `.write-probe-${process.pid}`);
  try {
    mkdirSync(settings.dataDir, { recursive: true });
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new SettingsError('LEDGER_DATA_DIR', `${settings.dataDir} is not writable (${code ?? message})`);
  }
}

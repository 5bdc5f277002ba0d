import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * Every setting of the service and the CLI, in one schema read once from the environment and
 * checked as a whole: a bad value — or an unknown LEDGER_* variable, usually a typo — stops the
 * start with a message naming the variable. The README's configuration table is this schema
 * (a test compares them).
 */
export interface Settings {
  port: number;
  dataDir: string;
  eventStore: 'sqlite' | 'eventstoredb';
  eventStoreDbUrl?: string;
  eventStoreDbStreamPrefix: string;
  /** The embedded event log: `<dataDir>/ledger.sqlite`. Back this up; it is the ledger. */
  eventStorePath: string;
  /** Read models, derived from the log: `<dataDir>/read-models.sqlite`. Safe to delete. */
  readModelsPath: string;
  catalogPath: string;
  importColumnsPath: string;
  reportsDir: string;
  dashboardDir: string;
  bodyLimit: string;
  /** The largest payment list `POST /imports` accepts, as written (`100mb`) and in bytes. */
  uploadLimit: string;
  uploadLimitBytes: number;
  signingKeyFile: string;
  /** Students' data keys and the identity index (`<keyDir>/student-keys.sqlite`), and by default the key-encryption key: outside the log, backed up apart from it. */
  keyDir: string;
  /** The key-encryption key that wraps every student's data key: `<keyDir>/key-encryption.key` unless set. */
  keyEncryptionKeyFile: string;
  digestEvery: number;
  digestQuietMs: number;
  rateLimitPerMinute: number;
  requestLog: boolean;
  logLevel: LogLevel;
  shutdownGraceMs: number;
  readWaitMs: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class SettingsError extends Error {
  constructor(variable: string, problem: string) {
    super(`invalid setting ${variable}: ${problem}`);
    this.name = 'SettingsError';
  }
}

/** One environment variable: its default as documented, what it means, and how it is read. */
export interface SettingSpec {
  variable: string;
  /** The default as the README shows it; undefined: no default (optional or required by another). */
  defaultText?: string;
  meaning: string;
}

/** The schema, in the README's order. */
export const SETTINGS_SCHEMA: readonly SettingSpec[] = [
  { variable: 'PORT', defaultText: '3000', meaning: 'HTTP port (0: any free port)' },
  { variable: 'LEDGER_DATA_DIR', defaultText: 'data', meaning: 'where `ledger.sqlite`, `read-models.sqlite` and the signing key live (relative to the working directory: under npm, the package root); must be writable; one service at a time' },
  { variable: 'LEDGER_EVENT_STORE', defaultText: 'sqlite', meaning: 'where the event log lives: `sqlite` (the embedded file) or `eventstoredb`' },
  { variable: 'LEDGER_EVENTSTOREDB_URL', meaning: 'with `eventstoredb` (required then): `esdb://host:2113?tls=false` (one node), `esdb://h1:2113,h2:2113,h3:2113` or `esdb+discover://cluster.dns:2113` (a cluster)' },
  { variable: 'LEDGER_EVENTSTOREDB_STREAM_PREFIX', meaning: "prefix of the ledger's streams on EventStoreDB, to share a server" },
  { variable: 'LEDGER_CATALOG', defaultText: 'config/programs.yaml', meaning: 'the program catalog (must exist)' },
  { variable: 'LEDGER_IMPORT_COLUMNS', defaultText: 'config/import-columns.yaml', meaning: 'which payment-list headers feed which payment fields (must exist)' },
  { variable: 'LEDGER_REPORTS_DIR', defaultText: 'config/reports', meaning: 'declared (published) reports to reconcile with (a directory)' },
  { variable: 'LEDGER_DASHBOARD_DIR', defaultText: 'dist/dashboard', meaning: 'the built dashboard served at `/` (built by `npm start`; not served when missing)' },
  { variable: 'LEDGER_SIGNING_KEY_FILE', defaultText: '<data dir>/signing-key.pem', meaning: 'Ed25519 key (PKCS#8 PEM) that signs log digests; made on first start when missing, never for a log that holds digests' },
  { variable: 'LEDGER_KEY_DIR', defaultText: '<data dir>/keys', meaning: "the key store: students' data keys (wrapped) and the identity index (`student-keys.sqlite`, mode 0600); made on first start; back it up apart from the log" },
  { variable: 'LEDGER_KEY_ENCRYPTION_KEY_FILE', defaultText: '<LEDGER_KEY_DIR>/key-encryption.key', meaning: "the key that wraps every student's data key (32 bytes, mode 0600; a group- or world-readable file is refused); keep it apart from the data and its backups" },
  { variable: 'LEDGER_DIGEST_EVERY', defaultText: '1000', meaning: 'sign a digest of the log at every tree size that is a multiple of this (`0`: only on `POST /audit/digests`)' },
  { variable: 'LEDGER_DIGEST_QUIET_MS', defaultText: '300000', meaning: 'also sign a digest once no event has come for this long and some are not covered by one, so that the unsigned tail stays short (`0`: never)' },
  { variable: 'LEDGER_BODY_LIMIT', defaultText: '1mb', meaning: 'largest request body accepted (`512kb`, `1mb`, …)' },
  { variable: 'LEDGER_UPLOAD_LIMIT', defaultText: '100mb', meaning: 'largest payment list `POST /imports` accepts (`512kb`, `100mb`, `1gb`, …); a larger one is refused with 413 `UPLOAD_TOO_LARGE`' },
  { variable: 'LEDGER_RATE_LIMIT', defaultText: '6000', meaning: 'requests per minute per client (per token, else per address); `0` turns the limit off' },
  { variable: 'LEDGER_READ_WAIT_MS', defaultText: '10000', meaning: 'how long a read waits for the read models to reach the log head as of the request before answering 503' },
  { variable: 'LEDGER_SHUTDOWN_GRACE_MS', defaultText: '10000', meaning: 'on SIGTERM, how long requests in flight (and answers still being sent) may take to finish before their connections are closed and the stores close' },
  { variable: 'LEDGER_LOG_LEVEL', defaultText: 'info', meaning: `JSON log level: ${LOG_LEVELS.map((level) => `\`${level}\``).join(', ')}` },
  { variable: 'LEDGER_REQUEST_LOG', defaultText: 'true', meaning: 'log one line per request (`true`/`false`; paths are redacted)' },
];

const KNOWN = new Set(SETTINGS_SCHEMA.map((spec) => spec.variable));
const DEFAULTS = new Map(SETTINGS_SCHEMA.map((spec) => [spec.variable, spec.defaultText]));

function projectRoot(): string {
  // Compiled files live under dist/libs/..., sources under libs/...: both resolve to the checkout.
  return resolve(__dirname, '..', '..', '..').replace(/[\\/]dist$/, '');
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  for (const variable of Object.keys(env)) {
    // LEDGER_TEST_* belong to the test suite.
    if (variable.startsWith('LEDGER_') && !variable.startsWith('LEDGER_TEST_') && !KNOWN.has(variable)) {
      const near = [...KNOWN].find((known) => known.replace(/_/g, '') === variable.replace(/_/g, ''));
      throw new SettingsError(variable, `unknown setting${near ? ` (did you mean ${near}?)` : ''}; the settings are listed in the README`);
    }
  }
  // Defaults come from the schema, the same text the README shows.
  const text = (variable: string, fallback = DEFAULTS.get(variable) ?? '') => {
    const value = env[variable] ?? fallback;
    if (value.trim() === '') throw new SettingsError(variable, 'must not be empty');
    return value.trim();
  };
  const wholeNumber = (variable: string, what: string, max = Number.MAX_SAFE_INTEGER) => {
    const value = text(variable);
    if (!/^\d+$/.test(value) || Number(value) > max) throw new SettingsError(variable, `"${value}" is not ${what}${max < Number.MAX_SAFE_INTEGER ? ` (0–${max})` : ''}`);
    return Number(value);
  };
  const oneOf = <T extends string>(variable: string, choices: readonly T[]): T => {
    const value = text(variable).toLowerCase();
    if (!(choices as readonly string[]).includes(value)) throw new SettingsError(variable, `"${value}" is not one of ${choices.join(', ')}`);
    return value as T;
  };
  const root = projectRoot();
  const fromCwd = (path: string) => (isAbsolute(path) ? path : resolve(process.cwd(), path));
  // Paths given are relative to the working directory; the defaults are the checkout's own files.
  const pathOf = (variable: string) => (env[variable] ? fromCwd(text(variable)) : join(root, DEFAULTS.get(variable)!));
  const existing = (variable: string, kind: 'file' | 'directory') => {
    const path = pathOf(variable);
    if (!existsSync(path)) throw new SettingsError(variable, `${path} does not exist`);
    if (kind === 'directory' ? !statSync(path).isDirectory() : !statSync(path).isFile()) throw new SettingsError(variable, `${path} is not a ${kind}`);
    return path;
  };

  const port = wholeNumber('PORT', 'a port number', 65535);
  const dataDir = fromCwd(text('LEDGER_DATA_DIR'));
  const eventStore = oneOf('LEDGER_EVENT_STORE', ['sqlite', 'eventstoredb'] as const);
  const eventStoreDbUrl = env.LEDGER_EVENTSTOREDB_URL?.trim() || undefined;
  if (eventStore === 'eventstoredb' && !eventStoreDbUrl) {
    throw new SettingsError('LEDGER_EVENTSTOREDB_URL', 'is required with LEDGER_EVENT_STORE=eventstoredb (e.g. esdb://localhost:2113?tls=false)');
  }
  if (eventStoreDbUrl && !/^esdb(\+discover)?:\/\/\S+$/.test(eventStoreDbUrl)) {
    throw new SettingsError('LEDGER_EVENTSTOREDB_URL', 'must start with esdb:// or esdb+discover://');
  }
  const bodyLimit = text('LEDGER_BODY_LIMIT');
  if (!/^\d+(b|kb|mb)$/i.test(bodyLimit)) throw new SettingsError('LEDGER_BODY_LIMIT', `"${bodyLimit}" is not a size like 512kb or 1mb`);
  const uploadLimit = text('LEDGER_UPLOAD_LIMIT');
  const uploadSize = uploadLimit.match(/^(\d+)(b|kb|mb|gb)$/i);
  const uploadLimitBytes = uploadSize ? Number(uploadSize[1]) * 1024 ** ['b', 'kb', 'mb', 'gb'].indexOf(uploadSize[2].toLowerCase()) : 0;
  if (!uploadSize || uploadLimitBytes === 0 || !Number.isSafeInteger(uploadLimitBytes)) throw new SettingsError('LEDGER_UPLOAD_LIMIT', `"${uploadLimit}" is not a size like 512kb, 100mb or 1gb`);
  const keyDir = env.LEDGER_KEY_DIR ? fromCwd(text('LEDGER_KEY_DIR')) : join(dataDir, 'keys');
  const requestLog = oneOf('LEDGER_REQUEST_LOG', ['true', 'false'] as const) === 'true';
  return {
    port,
    dataDir,
    eventStore,
    ...(eventStoreDbUrl && { eventStoreDbUrl }),
    eventStoreDbStreamPrefix: env.LEDGER_EVENTSTOREDB_STREAM_PREFIX ?? '',
    eventStorePath: join(dataDir, 'ledger.sqlite'),
    readModelsPath: join(dataDir, 'read-models.sqlite'),
    catalogPath: existing('LEDGER_CATALOG', 'file'),
    importColumnsPath: existing('LEDGER_IMPORT_COLUMNS', 'file'),
    reportsDir: existing('LEDGER_REPORTS_DIR', 'directory'),
    dashboardDir: pathOf('LEDGER_DASHBOARD_DIR'),
    signingKeyFile: env.LEDGER_SIGNING_KEY_FILE ? fromCwd(text('LEDGER_SIGNING_KEY_FILE')) : join(dataDir, 'signing-key.pem'),
    keyDir,
    keyEncryptionKeyFile: env.LEDGER_KEY_ENCRYPTION_KEY_FILE ? fromCwd(text('LEDGER_KEY_ENCRYPTION_KEY_FILE')) : join(keyDir, 'key-encryption.key'),
    digestEvery: wholeNumber('LEDGER_DIGEST_EVERY', 'a whole number of events'),
    digestQuietMs: wholeNumber('LEDGER_DIGEST_QUIET_MS', 'a whole number of milliseconds', 2_147_483_647),
    bodyLimit,
    uploadLimit,
    uploadLimitBytes,
    rateLimitPerMinute: wholeNumber('LEDGER_RATE_LIMIT', 'a whole number of requests per minute'),
    readWaitMs: wholeNumber('LEDGER_READ_WAIT_MS', 'a whole number of milliseconds'),
    shutdownGraceMs: wholeNumber('LEDGER_SHUTDOWN_GRACE_MS', 'a whole number of milliseconds'),
    logLevel: oneOf('LEDGER_LOG_LEVEL', LOG_LEVELS),
    requestLog,
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

/** The README's configuration table, made from the schema (a test keeps the README equal to it). */
export function settingsTableMarkdown(): string {
  const rows = SETTINGS_SCHEMA.map(({ variable, defaultText, meaning }) => `| \`${variable}\` | ${defaultText === undefined ? '—' : `\`${defaultText}\``} | ${meaning} |`);
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

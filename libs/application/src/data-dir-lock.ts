import { makeOwnerOnlyFile } from '@ledger/event-store';
import Database from 'better-sqlite3';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Settings } from './settings';

/**
 * One service per data directory. Two services over the same directory would both project the log
 * into the same read models (and fail there on UNIQUE constraints), so the service holds the
 * directory while it runs: an exclusive SQLite lock on `service.lock` — a lock of the operating
 * system's, released with the process however it ends, `kill -9` included — and `service.holder`, a
 * line saying who holds it, for the message a second service prints. The CLI takes no lock: what it
 * writes goes through the event log's own transactions, as the service's writes do.
 */
export const DATA_DIR_LOCK_FILE = 'service.lock';
export const DATA_DIR_HOLDER_FILE = 'service.holder';

export class DataDirInUseError extends Error {
  constructor(dataDir: string, holder: string) {
    super(`the data directory ${dataDir} (LEDGER_DATA_DIR) is in use by another ledger service: ${holder}`);
    this.name = 'DataDirInUseError';
  }
}

export class DataDirLock {
  private constructor(
    private readonly db: Database.Database,
    private readonly holderPath: string,
    private readonly holder: string,
  ) {}

  /** Takes the directory, or throws one line naming it and its holder. The directory must exist. */
  static take(dataDir: string): DataDirLock {
    makeOwnerOnlyFile(join(dataDir, DATA_DIR_LOCK_FILE));
    const db = new Database(join(dataDir, DATA_DIR_LOCK_FILE));
    const holderPath = join(dataDir, DATA_DIR_HOLDER_FILE);
    try {
      db.pragma('busy_timeout = 0');
      db.pragma('journal_mode = OFF'); // nothing in it to protect: no journal file
      db.pragma('locking_mode = EXCLUSIVE');
      // Left open: the exclusive lock lasts until the connection closes (release, or the process ends).
      db.exec('BEGIN EXCLUSIVE');
    } catch (error) {
      db.close();
      if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
      throw new DataDirInUseError(dataDir, DataDirLock.holderOf(holderPath));
    }
    const holder = `pid ${process.pid} on ${hostname()} since ${new Date().toISOString()}`;
    // Written whole, then renamed: a second service never reads half a line.
    writeFileSync(`${holderPath}.${process.pid}`, `${holder}\n`, { mode: 0o600 });
    renameSync(`${holderPath}.${process.pid}`, holderPath);
    return new DataDirLock(db, holderPath, holder);
  }

  private static holderOf(holderPath: string): string {
    try {
      return readFileSync(holderPath, 'utf8').trim() || 'holder unknown';
    } catch {
      return `holder unknown (no ${DATA_DIR_HOLDER_FILE})`;
    }
  }

  /** Lets the directory go (idempotent); the holder line goes too, unless another service wrote its own since. */
  release(): void {
    if (!this.db.open) return;
    if (DataDirLock.holderOf(this.holderPath) === this.holder) rmSync(this.holderPath, { force: true });
    this.db.close();
  }
}

/**
 * Opens the application while holding the data directory: taken before `open` (which opens the
 * stores), let go once the application's `close()` has closed them, or at once if it never opened.
 * The application comes back wrapped, since Nest's own proxy ignores assignments to its methods.
 */
export async function holdingDataDir<App extends { close(...args: never[]): Promise<void> }>(settings: Pick<Settings, 'dataDir'>, open: () => Promise<App>): Promise<App> {
  const lock = DataDirLock.take(settings.dataDir);
  let app: App;
  try {
    app = await open();
  } catch (error) {
    lock.release();
    throw error;
  }
  const closeAndRelease = async (...args: never[]) => {
    try {
      await app.close(...args);
    } finally {
      lock.release();
    }
  };
  return new Proxy(app, { get: (target, property, receiver) => (property === 'close' ? closeAndRelease : Reflect.get(target, property, receiver)) });
}

import type Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';

/**
 * Copies the write-ahead log back into the database file from a worker thread with its own
 * connection, so that no append waits for it. Left to SQLite, the commit that takes the WAL past
 * 1,000 pages runs the checkpoint itself — page copies and an fsync of the database file on the
 * event loop, in the middle of a request (or right after a 100,000-row import's commit).
 *
 * Durability is unchanged: an append is durable once its WAL frames are synced at commit. The
 * writer keeps SQLite's automatic checkpoint at a larger size as a backstop, should this thread
 * fall behind. Used for the event log and for the read models.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('synchronous = FULL');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or briefly unavailable: the next tick tries again, and the writer's backstop remains.
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/**
 * The writer's own automatic checkpoint, a backstop only: at 65,536 pages (256 MiB) of WAL — more than
 * a large import writes in one commit. After a reset, the WAL file is cut back to 64 MiB.
 */
const BACKSTOP_CHECKPOINT_PAGES = 65_536;
const WAL_SIZE_LIMIT_BYTES = 64 * 2 ** 20;

export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  /** Takes the checkpoints of `db` (a WAL database at `path`) off its connection. */
  static for(db: Database.Database, path: string): WalCheckpointer {
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    return new WalCheckpointer(path);
  }

  private constructor(path: string, intervalMs = 100) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver: require.resolve('better-sqlite3'), path, intervalMs } });
    // It must not keep a process alive that has nothing else to do.
    this.worker.unref();
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', () => resolve());
      // A checkpointer that fails only leaves the work to the writer's automatic checkpoint.
      this.worker.once('error', () => resolve());
    });
  }

  /** Runs a last checkpoint and closes the worker's connection (before the writer closes its own). */
  async stop(): Promise<void> {
    this.worker.ref(); // awaited now: the process waits for it
    this.worker.postMessage('stop');
    await this.exited;
  }
}

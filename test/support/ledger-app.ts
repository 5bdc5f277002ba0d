import { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createLedgerApp } from '../../apps/ledger-api/src/app.factory';
import { Settings, loadSettings } from '@ledger/application';

/**
 * The real Nest application on real SQLite files in a temporary directory, driven over HTTP by
 * supertest. `restart()` closes it and starts a new one on the same files.
 */
export class LedgerUnderTest {
  app!: INestApplication;
  readonly settings: Settings;

  private constructor(readonly dataDir: string, env: Record<string, string>) {
    this.settings = loadSettings({ LEDGER_DATA_DIR: dataDir, PORT: '0', ...env });
  }

  static async start(env: Record<string, string> = {}): Promise<LedgerUnderTest> {
    const ledger = new LedgerUnderTest(mkdtempSync(join(tmpdir(), 'ledger-e2e-')), env);
    await ledger.boot();
    return ledger;
  }

  private async boot() {
    this.app = await createLedgerApp(this.settings, { logger: false });
    await this.app.init();
  }

  get http() {
    return request(this.app.getHttpServer());
  }

  async restart(before?: () => void) {
    await this.app.close();
    before?.();
    await this.boot();
  }

  /** Current position of the log, read over HTTP. */
  async logPosition(): Promise<string> {
    const response = await this.http.get('/health').expect(200);
    return response.body.logPosition;
  }

  async stop() {
    await this.app.close();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Runs `tasks` with at most `limit` in flight. */
export async function inParallel<T>(limit: number, tasks: Array<() => Promise<T>>): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await tasks[index]();
      }
    }),
  );
  return results;
}

import { INestApplication } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { AccessControl, Clock, EVENT_STORE, Settings, loadSettings, writeContextFor } from '@ledger/application';
import { ROLES, Role } from '@ledger/domain';
import { createLedgerApp } from '../../apps/ledger-api/src/app.factory';
import { readyForRequests } from '../../apps/ledger-api/src/edge/http-app';

/** The user made for each role in every ledger under test: `officer`, `auditor`, `bureau`, `admin`. */
export const USER_OF_ROLE: Record<Role, string> = { finance_officer: 'officer', auditor: 'auditor', bureau_staff: 'bureau', admin: 'admin' };

/**
 * The real Nest application on real SQLite files in a temporary directory, driven over HTTP by
 * supertest, with a user and token per role. `restart()` closes it and starts a new one on the
 * same files. `http` calls as the finance officer; `as(role)` as another role.
 */
export class LedgerUnderTest {
  app!: INestApplication;
  readonly settings: Settings;
  readonly tokens = {} as Record<Role, string>;

  private constructor(
    readonly dataDir: string,
    env: Record<string, string>,
    private readonly logDestination?: DestinationStream,
    /** Pins today for the service (the write rules and retention), else the system's clock. */
    private readonly clock?: Clock,
  ) {
    // Quiet unless a test asks for the logs.
    this.settings = loadSettings({ LEDGER_DATA_DIR: dataDir, PORT: '0', LEDGER_LOG_LEVEL: logDestination ? 'info' : 'silent', ...env });
  }

  static async start(env: Record<string, string> = {}, options: { logDestination?: DestinationStream; clock?: Clock } = {}): Promise<LedgerUnderTest> {
    const ledger = new LedgerUnderTest(mkdtempSync(join(tmpdir(), 'ledger-e2e-')), env, options.logDestination, options.clock);
    await ledger.boot();
    const access = ledger.app.get(AccessControl);
    const write = writeContextFor({ id: 'test-setup', role: 'admin' }, 'test-setup');
    for (const role of ROLES) {
      const userId = USER_OF_ROLE[role];
      if (role !== 'admin') await access.execute({ type: 'AddUser', data: { userId, displayName: `Test ${role}`, role } }, write);
      ledger.tokens[role] = (await access.issueToken(userId, write, { label: 'test' })).token;
    }
    return ledger;
  }

  /** Starts the service on the data files of another run (after they were copied or edited), with its tokens. */
  static async reopen(dataDir: string, tokens: Record<Role, string>, env: Record<string, string> = {}, options: { logDestination?: DestinationStream } = {}): Promise<LedgerUnderTest> {
    const ledger = new LedgerUnderTest(dataDir, env, options.logDestination);
    Object.assign(ledger.tokens, tokens);
    await ledger.boot();
    return ledger;
  }

  /** Closes the service and leaves its files. */
  async close() {
    LedgerUnderTest.open.delete(this);
    await this.app.close();
  }

  private async boot() {
    this.app = await createLedgerApp(this.settings, { logDestination: this.logDestination, clock: this.clock });
    // Nest's routes registered and every Fastify plugin loaded: supertest may call it.
    await readyForRequests(this.app);
    LedgerUnderTest.open.add(this);
  }

  /** Ledgers started and not closed: a test that failed half-way leaves one, which would keep jest waiting. */
  private static readonly open = new Set<LedgerUnderTest>();

  static async closeLeftovers() {
    for (const ledger of [...LedgerUnderTest.open]) await ledger.app.close().catch(() => undefined);
    LedgerUnderTest.open.clear();
  }

  /** Calls as the finance officer. */
  get http() {
    return this.as('finance_officer');
  }

  /** Calls with the token of a role, with a given bearer token, or with none (`anonymous`). */
  as(who: Role | 'anonymous' | { token: string }) {
    const agent = request.agent(this.app.getHttpServer());
    if (who === 'anonymous') return agent;
    return agent.set('Authorization', `Bearer ${typeof who === 'string' ? this.tokens[who] : who.token}`);
  }

  async restart(before?: () => void) {
    LedgerUnderTest.open.delete(this);
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
    LedgerUnderTest.open.delete(this);
    await this.app.close();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

// Every test file that uses a ledger closes what a failed test left open.
if (typeof afterAll === 'function') afterAll(() => LedgerUnderTest.closeLeftovers());

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

/** The SQLite connection under the service's event store (through its decorators), for tests of faults. */
export function sqliteConnectionOf(app: INestApplication): { pragma(sql: string, options?: object): unknown } {
  let store = app.get(EVENT_STORE) as { inner?: unknown; db?: unknown };
  while (!store.db && store.inner) store = store.inner as typeof store;
  if (!store.db) throw new Error('the event store is not the embedded SQLite store');
  return store.db as { pragma(sql: string, options?: object): unknown };
}

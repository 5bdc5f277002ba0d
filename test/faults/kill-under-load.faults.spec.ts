import Database from 'better-sqlite3';
import { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { SqliteEventStore } from '@ledger/event-store';
import { ALL_PROJECTIONS, ReadModels, dumpTables, rebuildReadModels } from '@ledger/projections';
import { financeOfficerToken, spawnService, untilHealthy } from '../support/service-process';
import { boardingPayment } from '../support/students';

/**
 * The service, as its own process, killed with SIGKILL again and again in the middle of a write
 * load sent from this process, which notes every write the service acknowledged. After each
 * restart every acknowledged write is in the log; at the end the read models equal a rebuild.
 */
const KILLS = 4;

describe('the service killed under load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-kill-'));
  // Below the ephemeral range, as in support/service-process.ts.
  const port = 29000 + Math.floor(Math.random() * 1000);
  const base = `http://127.0.0.1:${port}`;
  let server: ChildProcess | undefined;
  afterAll(() => {
    server?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  async function startServer() {
    const service = spawnService({ LEDGER_DATA_DIR: dir }, { port });
    server = service.child;
    await untilHealthy(service);
    return service;
  }

  const storedDisbursementIds = () => {
    const db = new Database(join(dir, 'ledger.sqlite'), { readonly: true });
    const ids = new Set(
      db.prepare("SELECT json_extract(data, '$.disbursementId') FROM events WHERE type = 'DisbursementRecorded'").pluck().all() as string[],
    );
    db.close();
    return ids;
  };

  it('keeps every acknowledged write, and the read models equal a rebuild', async () => {
    const token = await financeOfficerToken(await startServer(), dir);

    const acknowledged: string[] = [];
    let next = 0;
    for (let kill = 1; kill <= KILLS; kill++) {
      let running = true;
      const workers = Array.from({ length: 16 }, async () => {
        while (running) {
          const i = next++;
          const id = `load-${i}`;
          try {
            const response = await request(base).post('/disbursements').set('Authorization', `Bearer ${token}`).set('Idempotency-Key', id).send(boardingPayment(20_000 + i, { disbursementId: id }));
            if (response.status === 201) acknowledged.push(id);
          } catch {
            return; // the service is gone
          }
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 800 + kill * 150));
      server!.kill('SIGKILL');
      running = false;
      await Promise.all(workers);
      await new Promise((resolve) => server!.once('exit', resolve));

      await startServer();
      const stored = storedDisbursementIds();
      const missing = acknowledged.filter((id) => !stored.has(id));
      expect({ kill, missing }).toEqual({ kill, missing: [] });
    }
    expect(acknowledged.length).toBeGreaterThan(100);
    const totals = await request(base).get('/totals').set('Authorization', `Bearer ${token}`).query({ fiscalYear: 2022 }).expect(200);
    expect(totals.body.totals[0].net.personTimes).toBeGreaterThanOrEqual(acknowledged.length);
    server!.kill('SIGTERM');
    await new Promise((resolve) => server!.once('exit', resolve));
    server = undefined;

    const store = new SqliteEventStore({ path: join(dir, 'ledger.sqlite') });
    const live = new ReadModels(join(dir, 'read-models.sqlite'), ALL_PROJECTIONS);
    const rebuilt = await rebuildReadModels(store, join(dir, 'rebuilt.sqlite'), ALL_PROJECTIONS);
    const tables = ALL_PROJECTIONS.flatMap((projection) => projection.tables);
    expect(dumpTables(live.db, tables)).toEqual(dumpTables(rebuilt.db, tables));
    console.log(`kill-under-load: ${KILLS} kills, ${acknowledged.length} acknowledged writes, ${storedDisbursementIds().size} payments in the log, read models equal a rebuild`);
    await live.close();
    await rebuilt.close();
    await store.close();
  });
});

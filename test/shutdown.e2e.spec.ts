import Database from 'better-sqlite3';
import { once } from 'node:events';
import { Socket, connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ServiceProcess, financeOfficerToken, spawnService, untilHealthy } from './support/service-process';
import { boardingPayment } from './support/students';

/**
 * SIGTERM in the middle of a write load (the service in its own process, 16 writers here noting
 * every acknowledged write): the service stops taking requests, answers those in flight, exits 0
 * with the read models checkpointed at the log head, and after a restart every acknowledged write
 * is in the log.
 */
describe('SIGTERM under a write load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-sigterm-'));
  let service: ServiceProcess | undefined;
  afterAll(() => {
    service?.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('finishes what it accepted, checkpoints the projections, closes cleanly and loses no acknowledged write', async () => {
    service = spawnService({ LEDGER_DATA_DIR: dir, LEDGER_LOG_LEVEL: 'info' });
    await untilHealthy(service);
    const token = await financeOfficerToken(service, dir);
    const { base } = service;

    const acknowledged: string[] = [];
    const refusedWhileStopping: number[] = [];
    let unanswered = 0;
    let next = 0;
    let running = true;
    const writers = Array.from({ length: 16 }, async () => {
      while (running) {
        const id = `term-${next++}`;
        try {
          const response = await request(base).post('/disbursements').set('Authorization', `Bearer ${token}`).set('Idempotency-Key', id).send(boardingPayment(30_000 + next, { disbursementId: id }));
          if (response.status === 201) acknowledged.push(id);
          else if (response.status === 503 && response.body.code === 'SHUTTING_DOWN') refusedWhileStopping.push(response.status);
          else throw new Error(`unexpected answer ${response.status}: ${JSON.stringify(response.body)}`);
        } catch (error) {
          if ((error as Error).message.startsWith('unexpected answer')) throw error;
          unanswered++; // connection refused or closed: the service no longer listens
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const ackedBeforeSignal = acknowledged.length;
    service.child.kill('SIGTERM');
    const exitCode = await service.exited;
    running = false;
    await Promise.all(writers);

    expect(exitCode).toBe(0);
    expect(service.output()).toMatch(/SIGTERM: (every request finished|waiting for \d+ request)/);
    expect(ackedBeforeSignal).toBeGreaterThan(50);

    // Closed cleanly: the read models checkpointed the whole log before the stores closed.
    const ledgerDb = new Database(join(dir, 'ledger.sqlite'), { readonly: true });
    const head = ledgerDb.prepare('SELECT MAX(position) FROM events').pluck().get() as number;
    const stored = new Set(ledgerDb.prepare("SELECT json_extract(data, '$.disbursementId') FROM events WHERE type = 'DisbursementRecorded'").pluck().all() as string[]);
    ledgerDb.close();
    const modelsDb = new Database(join(dir, 'read-models.sqlite'), { readonly: true });
    const checkpoints = modelsDb.prepare('SELECT name, position FROM checkpoints').all() as Array<{ name: string; position: string }>;
    modelsDb.close();
    expect(checkpoints.length).toBeGreaterThan(0);
    for (const checkpoint of checkpoints) expect(checkpoint).toEqual({ name: checkpoint.name, position: String(head) });

    // Every acknowledged write is in the log, and the restarted service counts it.
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    service = spawnService({ LEDGER_DATA_DIR: dir });
    await untilHealthy(service);
    const totals = await request(service.base).get('/totals').set('Authorization', `Bearer ${token}`).query({ fiscalYear: 2022 }).expect(200);
    expect(totals.body.totals[0].paid.personTimes).toBe(stored.size);
    expect(stored.size).toBeGreaterThanOrEqual(acknowledged.length);
    console.log(
      `SIGTERM under load: ${acknowledged.length} acknowledged writes (${ackedBeforeSignal} before the signal), all in the log; ` +
        `${refusedWhileStopping.length} refused with 503 SHUTTING_DOWN, ${unanswered} not answered (service gone); exit 0; projections checkpointed at ${head}`,
    );
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    service = undefined;
  });
});

/**
 * A client that stops reading in the middle of a large answer (a stalled download, a hung browser
 * tab) must not keep the service from stopping: after LEDGER_SHUTDOWN_GRACE_MS its connection is
 * closed, and the service exits 0. (It waited for ever.)
 */
describe('SIGTERM while a client has stopped reading', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-sigterm-stalled-'));
  let service: ServiceProcess | undefined;
  let socket: Socket | undefined;
  afterAll(() => {
    socket?.destroy();
    service?.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops within the grace, closing the connection of the answer that cannot be written', async () => {
    service = spawnService({ LEDGER_DATA_DIR: dir, LEDGER_LOG_LEVEL: 'info', LEDGER_SHUTDOWN_GRACE_MS: '1000' });
    await untilHealthy(service);
    const { port } = new URL(service.base);
    const stalled = connect(Number(port), '127.0.0.1');
    socket = stalled;
    await once(stalled, 'connect');
    stalled.pause(); // reads nothing from here on
    // The API docs' script bundle (1.5 MB), asked 20 times on one connection: more than the sockets' buffers hold.
    stalled.write('GET /docs/swagger-ui-bundle.js HTTP/1.1\r\nHost: ledger\r\n\r\n'.repeat(20));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const signalled = Date.now();
    service.child.kill('SIGTERM');
    const exitCode = await Promise.race([service.exited, new Promise((resolve) => setTimeout(() => resolve('still running after 15 s'), 15_000))]);
    expect(exitCode).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(6_000);
    expect(service.output()).toMatch(/a client not reading\): their connections are closed/);
    service = undefined;
  });
});

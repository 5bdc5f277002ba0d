import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { loadSettings } from '@ledger/application';
import { createLedgerApp } from '../apps/ledger-api/src/app.factory';
import { ServiceProcess, financeOfficerToken, spawnService, untilHealthy } from './support/service-process';
import { boardingPayment } from './support/students';

/**
 * One service per data directory: a second one over the same directory would project the same log
 * into the same read models (UNIQUE constraint failures in the first). It refuses to start, naming
 * the directory and the service that holds it; a service killed with SIGKILL leaves nothing that
 * blocks the next start (the operating system releases the lock with the process).
 */
describe('the data directory is held by one service at a time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-lock-'));
  const services: ServiceProcess[] = [];
  const start = (env: Record<string, string> = {}) => {
    const service = spawnService({ LEDGER_DATA_DIR: dir, LEDGER_LOG_LEVEL: 'warn', ...env });
    services.push(service);
    return service;
  };
  afterAll(() => {
    for (const service of services) service.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a second service in one line naming the directory and the holder; the first works on; after kill -9 the next one starts', async () => {
    const first = start();
    await untilHealthy(first);
    const token = await financeOfficerToken(first, dir);

    const second = start();
    expect(await second.exited).toBe(1);
    const lines = second.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^ledger-api failed to start: .*${dir}.* pid ${first.child.pid} on ${hostname()} since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z`));

    // The first service is untouched: it records and reads as before.
    await request(first.base).post('/disbursements').set('Authorization', `Bearer ${token}`).send(boardingPayment(1)).expect(201);
    const totals = await request(first.base).get('/totals').set('Authorization', `Bearer ${token}`).query({ fiscalYear: 2022 }).expect(200);
    expect(totals.body.totals[0].paid.personTimes).toBe(1);
    expect(first.output()).not.toMatch(/UNIQUE constraint|projections stopped/);

    first.child.kill('SIGKILL');
    await first.exited;
    const third = start();
    await untilHealthy(third);
    expect(readFileSync(join(dir, 'service.holder'), 'utf8')).toContain(`pid ${third.child.pid} on ${hostname()}`);
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  });

  it('is let go when the application closes, in the same process too', async () => {
    const settings = loadSettings({ LEDGER_DATA_DIR: join(dir, 'in-process'), PORT: '0', LEDGER_LOG_LEVEL: 'silent' });
    const app = await createLedgerApp(settings);
    await expect(createLedgerApp(settings)).rejects.toThrow(/in use by another ledger service: pid \d+/);
    await app.close();
    const again = await createLedgerApp(settings);
    await again.close();
  });
});

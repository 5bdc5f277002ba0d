import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';

/**
 * The ledger service as its own process (apps/ledger-api/src/main.ts, compiled on the fly), for
 * the tests that kill it, stop it with a signal or start it with bad settings.
 */
export interface ServiceProcess {
  child: ChildProcess;
  base: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with its exit code (or the signal's name) once it has exited. */
  exited: Promise<number | string>;
}

export function spawnService(env: Record<string, string>, options: { port?: number; uid?: number } = {}): ServiceProcess {
  // Below Linux's ephemeral range (32768–60999): a port there can be taken by any outgoing connection of
  // the tests running beside this one, and the service then fails to start (EADDRINUSE).
  const port = options.port ?? 21000 + Math.floor(Math.random() * 8000);
  const child = spawn(process.execPath, ['-r', join(__dirname, 'register-ts.js'), join(__dirname, '../../apps/ledger-api/src/main.ts')], {
    env: { ...process.env, PORT: String(port), LEDGER_REQUEST_LOG: 'false', LEDGER_RATE_LIMIT: '0', LEDGER_DIGEST_EVERY: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid !== undefined && { uid: options.uid, gid: options.uid }),
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // 'close', not 'exit': the process can exit before its last output has been read from its pipes.
  const exited = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { child, base: `http://127.0.0.1:${port}`, output: () => output, exited };
}

/** Waits until the service answers /health (or fails, with what it printed, if it exits first). */
export async function untilHealthy(service: ServiceProcess, timeoutMs = 30_000): Promise<void> {
  let exited = false;
  void service.exited.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the service exited while starting:\n${service.output()}`);
    try {
      if ((await request(service.base).get('/health')).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the service did not start within ${timeoutMs} ms:\n${service.output()}`);
}

/** On a fresh data directory: a finance officer made with the first-run admin token, and its token. */
export async function financeOfficerToken(service: ServiceProcess, dataDir: string, userId = 'loader'): Promise<string> {
  const admin = readFileSync(join(dataDir, 'first-run-admin.token'), 'utf8').trim();
  await request(service.base).post('/users').set('Authorization', `Bearer ${admin}`).send({ userId, displayName: 'Load', role: 'finance_officer' }).expect(201);
  return (await request(service.base).post(`/users/${userId}/tokens`).set('Authorization', `Bearer ${admin}`).send({}).expect(201)).body.token as string;
}

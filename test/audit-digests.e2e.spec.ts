import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EVENT_STORE } from '@ledger/application';
import { EventStore } from '@ledger/event-store';
import { DIGEST_STREAM, loadSigningKey, newSigningKeyPem, signDigest } from '@ledger/integrity';
import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment } from './support/students';

const run = promisify(execFile);

/**
 * An auditor keeps a digest off the machine: they ask for one (below LEDGER_DIGEST_EVERY events the
 * log holds none yet), keep it with the README's recipe, and check a proof against it. The recipe
 * never leaves a `null` to keep, and the CLI says in one line what a file that is no digest is.
 */
describe('keeping a digest', () => {
  let ledger: LedgerUnderTest;
  let base: string;
  const dir = mkdtempSync(join(tmpdir(), 'ledger-keep-digest-'));
  const cli = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), join(__dirname, '../apps/ledger-cli/src/main.ts'), ...args], {
        env: { ...process.env, LEDGER_DATA_DIR: join(dir, 'no-ledger-here') },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
  /** A line of the README's auditing examples, run as written (against this service's port). */
  const readmeLine = (marker: string) => {
    const line = readFileSync(join(__dirname, '../README.md'), 'utf8')
      .split('\n')
      .find((text) => text.startsWith('curl') && text.includes(marker));
    if (!line) throw new Error(`no README line with ${marker}`);
    return line.replaceAll('localhost:3000', base);
  };
  const bash = async (script: string, token: string) => {
    try {
      await run('bash', ['-c', script], { cwd: dir, env: { ...process.env, AUDITOR_TOKEN: token, A: `Authorization: Bearer ${token}` } });
      return 0;
    } catch (error) {
      return (error as { code: number }).code;
    }
  };

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start({ LEDGER_DIGEST_EVERY: '1000' });
    await new Promise<void>((resolve) => ledger.app.getHttpServer().listen(0, '127.0.0.1', resolve));
    base = `127.0.0.1:${(ledger.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await ledger.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is signed on an auditor’s (or an admin’s) request, by the system, naming who asked; other roles are refused and nothing is appended', async () => {
    await ledger.http.post('/disbursements').send(boardingPayment(1)).expect(201);
    const store = ledger.app.get<EventStore>(EVENT_STORE);
    for (const role of ['finance_officer', 'bureau_staff'] as const) {
      const before = await ledger.logPosition();
      const refused = await ledger.as(role).post('/audit/digests').expect(403);
      expect(refused.headers['content-type']).toMatch(/problem\+json/);
      expect(await ledger.logPosition()).toBe(before);
    }
    const signed = await ledger.as('auditor').post('/audit/digests').expect(200);
    expect(signed.body.digest).toMatchObject({ treeSize: expect.any(Number), rootHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const [event] = (await store.readStream(DIGEST_STREAM)).slice(-1);
    expect(event.data).toMatchObject({ treeSize: signed.body.digest.treeSize, rootHash: signed.body.digest.rootHash });
    expect(event.metadata).toMatchObject({ actor: { id: 'system:digest', role: 'system' }, requestedBy: { id: 'auditor', role: 'auditor' } });

    await ledger.http.post('/disbursements').send(boardingPayment(2)).expect(201);
    await ledger.as('admin').post('/audit/digests').expect(200);
    const [byAdmin] = (await store.readStream(DIGEST_STREAM)).slice(-1);
    expect(byAdmin.metadata).toMatchObject({ actor: { role: 'system' }, requestedBy: { id: 'admin', role: 'admin' } });
  });

  it('is kept with the README’s recipe below LEDGER_DIGEST_EVERY events, and a proof checks against it', async () => {
    const paid = await ledger.http.post('/disbursements').send(boardingPayment(3)).expect(201);
    expect(await bash(readmeLine('> kept.json'), ledger.tokens.auditor)).toBe(0);
    expect(await bash(readmeLine('> ledger-key.txt'), ledger.tokens.auditor)).toBe(0);
    const kept = JSON.parse(readFileSync(join(dir, 'kept.json'), 'utf8'));
    expect(kept).toMatchObject({ treeSize: expect.any(Number), signature: expect.any(String) });
    const proof = await ledger.as('auditor').get('/audit/proofs/inclusion').query({ eventId: paid.body.events[0].eventId, treeSize: kept.treeSize }).expect(200);
    writeFileSync(join(dir, 'inclusion.json'), JSON.stringify(proof.body));
    const checked = await cli('check-inclusion', '--proof', join(dir, 'inclusion.json'), '--digest', join(dir, 'kept.json'), '--public-key', join(dir, 'ledger-key.txt'));
    expect(checked).toMatchObject({ code: 0, stdout: expect.stringMatching(/^OK: event .* is leaf \d+ of the signed tree of size/) });
  });

  it('is checked against each newer one by the README’s routine, which keeps the newer only when the log extends the kept one', async () => {
    const block = /```bash\n((?:(?!```)[\s\S])*mv newer\.json kept\.json[^\n]*\n)```/.exec(readFileSync(join(__dirname, '../README.md'), 'utf8'))?.[1];
    if (!block) throw new Error('no README routine that keeps newer.json');
    const cliCommand = `"${process.execPath}" -r "${join(__dirname, 'support/register-ts.js')}" "${join(__dirname, '../apps/ledger-cli/src/main.ts')}"`;
    const routine = block.replaceAll('localhost:3000', base).replaceAll('npm run cli --', cliCommand);
    const keptSize = () => JSON.parse(readFileSync(join(dir, 'kept.json'), 'utf8')).treeSize as number;
    const before = keptSize();
    await ledger.http.post('/disbursements').send(boardingPayment(4)).expect(201);
    expect(await bash(routine, ledger.tokens.auditor)).toBe(0);
    expect(keptSize()).toBeGreaterThan(before);
    expect(readdirSync(dir).filter((name) => /^kept-\d{4}-\d\d-\d\d\.json$/.test(name))).toHaveLength(1);

    // A kept digest the log does not extend (here: one signed by another key) stops the routine, and stays kept.
    const forged = signDigest(loadSigningKey(newSigningKeyPem()), { ...JSON.parse(readFileSync(join(dir, 'kept.json'), 'utf8')), signedAt: new Date().toISOString() });
    writeFileSync(join(dir, 'kept.json'), JSON.stringify(forged));
    await ledger.http.post('/disbursements').send(boardingPayment(5)).expect(201);
    expect(await bash(routine, ledger.tokens.auditor)).toBe(1);
    expect(JSON.parse(readFileSync(join(dir, 'kept.json'), 'utf8'))).toEqual(forged);
  });

  it('is not silently replaced by nothing: a recipe that gets no digest fails, and the CLI names the file and what is wrong', async () => {
    rmSync(join(dir, 'kept.json'), { force: true });
    expect(await bash(readmeLine('> kept.json'), 'sal.nobody.0000000000000000.not-a-secret')).not.toBe(0);
    const kept = readFileSync(join(dir, 'kept.json'), 'utf8');
    expect(kept.trim()).not.toBe('null');
    const checked = await cli('check-inclusion', '--proof', join(dir, 'inclusion.json'), '--digest', join(dir, 'kept.json'), '--public-key', join(dir, 'ledger-key.txt'));
    expect(checked.code).toBe(1);
    expect(checked.stderr.trim().split('\n')).toEqual([expect.stringContaining(`${join(dir, 'kept.json')} is empty: not a digest`)]);
  });
});

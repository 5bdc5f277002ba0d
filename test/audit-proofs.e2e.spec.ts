import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment } from './support/students';

const run = promisify(execFile);

/**
 * The auditor keeps a signed digest, later asks the API for proofs, and checks them with the CLI
 * on their own machine: a payment is in the log the digest signed; the log grew without changing
 * its past. Forged proofs and forged digests are rejected.
 */
describe('inclusion and consistency proofs, produced by the API and checked by the CLI', () => {
  let ledger: LedgerUnderTest;
  const dir = mkdtempSync(join(tmpdir(), 'ledger-proofs-'));
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const cli = async (...args: string[]) => {
    try {
      const { stdout } = await run(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), join(__dirname, '../apps/ledger-cli/src/main.ts'), ...args], {
        env: { ...process.env, LEDGER_DATA_DIR: join(dir, 'no-ledger-here') },
      });
      return { code: 0, out: stdout };
    } catch (error) {
      return { code: (error as { code: number }).code, out: (error as { stderr: string }).stderr };
    }
  };

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start({ LEDGER_DIGEST_EVERY: '0' });
  });
  afterAll(async () => {
    await ledger.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('proves a payment is in a signed log, and that a later log extends it', async () => {
    const paid = await ledger.http.post('/disbursements').send(boardingPayment(900)).expect(201);
    const eventId = paid.body.events[0].eventId;
    for (let i = 901; i < 910; i++) await ledger.http.post('/disbursements').send(boardingPayment(i)).expect(201);
    const older = (await ledger.as('admin').post('/audit/digests').expect(200)).body.digest;
    for (let i = 910; i < 925; i++) await ledger.http.post('/disbursements').send(boardingPayment(i)).expect(201);
    const newer = (await ledger.as('admin').post('/audit/digests').expect(200)).body.digest;
    expect(newer.treeSize).toBeGreaterThan(older.treeSize);
    const key = (await ledger.as('auditor').get('/audit/public-key').expect(200)).body.publicKey;

    const inclusion = (await ledger.as('auditor').get('/audit/proofs/inclusion').query({ eventId, treeSize: older.treeSize }).expect(200)).body;
    expect(inclusion).toMatchObject({ eventId, treeSize: older.treeSize, rootHash: older.rootHash });
    const consistency = (await ledger.as('auditor').get('/audit/proofs/consistency').query({ firstSize: older.treeSize, secondSize: newer.treeSize }).expect(200)).body;

    const keyFile = file('key.txt', key);
    const olderFile = file('older.json', older);
    const newerFile = file('newer.json', newer);
    expect(await cli('check-inclusion', '--proof', file('inclusion.json', inclusion), '--digest', olderFile, '--public-key', keyFile)).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^OK: event .* is leaf \d+ of the signed tree/),
    });
    expect(await cli('check-consistency', '--proof', file('consistency.json', consistency), '--older-digest', olderFile, '--newer-digest', newerFile, '--public-key', keyFile)).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^OK: the log of \d+ events extends/),
    });

    // Forgeries: another event's hash, a tampered path, a re-signed digest, a consistency proof off by one hash.
    const otherEvent = { ...inclusion, eventHash: inclusion.auditPath[0] };
    expect(await cli('check-inclusion', '--proof', file('forged-1.json', otherEvent), '--digest', olderFile, '--public-key', keyFile)).toMatchObject({ code: 1, out: expect.stringMatching(/REJECTED/) });
    const flipped = { ...inclusion, auditPath: inclusion.auditPath.map((hash: string, i: number) => (i === 0 ? `${hash[0] === 'a' ? 'b' : 'a'}${hash.slice(1)}` : hash)) };
    expect(await cli('check-inclusion', '--proof', file('forged-2.json', flipped), '--digest', olderFile, '--public-key', keyFile)).toMatchObject({ code: 1 });
    const forgedDigest = { ...older, rootHash: inclusion.auditPath[0] };
    expect(await cli('check-inclusion', '--proof', file('forged-3.json', inclusion), '--digest', file('forged-digest.json', forgedDigest), '--public-key', keyFile)).toMatchObject({
      code: 1,
      out: expect.stringMatching(/not validly signed/),
    });
    const badConsistency = { ...consistency, proof: consistency.proof.map((hash: string, i: number) => (i === 0 ? inclusion.eventHash : hash)) };
    expect(await cli('check-consistency', '--proof', file('forged-4.json', badConsistency), '--older-digest', olderFile, '--newer-digest', newerFile, '--public-key', keyFile)).toMatchObject({
      code: 1,
      out: expect.stringMatching(/does not extend/),
    });
  });

  it('refuses proofs of unknown events and impossible sizes with 4xx', async () => {
    expect((await ledger.as('auditor').get('/audit/proofs/inclusion').query({ eventId: 'no-such-event' })).status).toBe(404);
    expect((await ledger.as('auditor').get('/audit/proofs/consistency').query({ firstSize: 0 })).status).toBe(400);
    expect((await ledger.as('auditor').get('/audit/proofs/consistency').query({ firstSize: 'two' })).status).toBe(400);
  });
});

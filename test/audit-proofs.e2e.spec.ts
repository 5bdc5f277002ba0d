import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { leafDataOf, leafHash, loadSigningKey, newSigningKeyPem, signDigest } from '@ledger/integrity';
import { LedgerUnderTest, inParallel } from './support/ledger-app';
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
      return { code: (error as { code: number }).code, out: (error as { stderr: string }).stderr, stdout: (error as { stdout: string }).stdout };
    }
  };
  /** The evidence of the first test, for the ones after it. */
  const kept: Record<string, string> = {};

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
    Object.assign(kept, { keyFile, olderFile, newerFile, inclusionFile: file('inclusion.json', inclusion), consistencyFile: file('consistency.json', consistency) });
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

  it('never says OK for a digest checked only against the key it names itself: a forgery signed with a fresh key is not trusted', async () => {
    // Anyone can make a key, a digest of a tree of their own, and a proof that fits it.
    const forger = loadSigningKey(newSigningKeyPem());
    const eventHash = 'ab'.repeat(32);
    const fakeDigest = signDigest(forger, { treeSize: 1, rootHash: leafHash(leafDataOf(eventHash)).toString('hex'), lastPosition: '1', signedAt: new Date().toISOString() });
    const fakeProof = { eventId: 'fake', eventHash, leafIndex: 0, treeSize: 1, rootHash: fakeDigest.rootHash, auditPath: [] };
    const untrusted = await cli('check-inclusion', '--proof', file('fake-proof.json', fakeProof), '--digest', file('fake-digest.json', fakeDigest));
    expect(untrusted).toMatchObject({ code: 2, stdout: '' });
    expect(untrusted.out.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^NOT TRUSTED: .*only against the key the digest names \\(key ${fakeDigest.keyId}\\), not a key you trust.*--public-key`))]);
    // Against the ledger's key, it is what it is: a digest someone else signed.
    const trusted = await cli('check-inclusion', '--proof', file('fake-proof.json', fakeProof), '--digest', file('fake-digest.json', fakeDigest), '--public-key', kept.keyFile);
    expect(trusted).toMatchObject({ code: 1, out: expect.stringMatching(new RegExp(`^REJECTED: the digest of tree size 1 is signed by key ${fakeDigest.keyId}, not by the key you trust \\(key [0-9a-f]{16}\\)`)) });

    // The genuine evidence, without the key: not OK either, it says why.
    expect(await cli('check-inclusion', '--proof', kept.inclusionFile, '--digest', kept.olderFile)).toMatchObject({ code: 2, out: expect.stringMatching(/^NOT TRUSTED: /) });
    expect(await cli('check-consistency', '--proof', kept.consistencyFile, '--older-digest', kept.olderFile, '--newer-digest', kept.newerFile)).toMatchObject({ code: 2, out: expect.stringMatching(/^NOT TRUSTED: .*not a key you trust/) });
  });

  it('refuses, in one line naming the file, a file that is not a digest, a proof or a key', async () => {
    const older = JSON.parse(readFileSync(kept.olderFile, 'utf8'));
    const inclusion = JSON.parse(readFileSync(kept.inclusionFile, 'utf8'));
    const consistency = JSON.parse(readFileSync(kept.consistencyFile, 'utf8'));
    const inclusionWith = (digest: string, proof = kept.inclusionFile, key = kept.keyFile) => cli('check-inclusion', '--proof', proof, '--digest', digest, '--public-key', key);
    const cases: Array<[string, () => ReturnType<typeof cli>, RegExp]> = [
      ['null', () => inclusionWith(file('null.json', 'null\n')), /null\.json is not a digest: it holds null/],
      ['empty', () => inclusionWith(file('empty.json', '')), /empty\.json is empty: not a digest/],
      ['the list', () => inclusionWith(file('list.json', { digests: [older] })), /list\.json is not a digest: it holds the list of digests .*keep one of them/],
      ['the POST answer', () => inclusionWith(file('answer.json', { digest: older })), /answer\.json is not a digest: it holds the answer of POST \/audit\/digests: keep its \.digest/],
      ['an error answer', () => inclusionWith(file('problem.json', { status: 503, code: 'INTEGRITY_ALARM', detail: 'integrity alarm: …' })), /problem\.json is not a digest: it holds an error answer \(503 INTEGRITY_ALARM: integrity alarm/],
      ['a proof for a digest', () => inclusionWith(kept.inclusionFile), /inclusion\.json is not a digest: it has no signature/],
      ['not JSON', () => inclusionWith(file('text.json', 'treeSize=3')), /text\.json is not JSON, so not a digest/],
      ['missing', () => inclusionWith(join(dir, 'absent.json')), /cannot read .*absent\.json: no such file/],
      ['a short root', () => inclusionWith(file('short-root.json', { ...older, rootHash: older.rootHash.slice(2) })), /short-root\.json is not a digest: rootHash is 31 bytes, not 32/],
      ['a 33-byte hash in the path', () => inclusionWith(kept.olderFile, file('long-path.json', { ...inclusion, auditPath: [`${inclusion.auditPath[0]}00`, ...inclusion.auditPath.slice(1)] })), /long-path\.json is not an inclusion proof: auditPath\[0\] is 33 bytes, not 32/],
      ['a digest for a proof', () => inclusionWith(kept.olderFile, kept.olderFile), /older\.json is not an inclusion proof: it has no eventId/],
      ['a bad consistency proof', () => cli('check-consistency', '--proof', file('bad-consistency.json', { ...consistency, proof: ['zz'] }), '--older-digest', kept.olderFile, '--newer-digest', kept.newerFile, '--public-key', kept.keyFile), /bad-consistency\.json is not a consistency proof: proof\[0\] is not hexadecimal/],
      ['a key file that is no key', () => inclusionWith(kept.olderFile, kept.inclusionFile, kept.olderFile), /older\.json is not a public key: .*GET \/audit\/public-key/],
    ];
    const results = await inParallel(3, cases.map(([, check]) => check));
    cases.forEach(([name, , message], i) => {
      const { code, out } = results[i];
      expect({ name, code, lines: out.trim().split('\n') }).toEqual({ name, code: 1, lines: [expect.stringMatching(message)] });
    });
  });

  it('refuses proofs of unknown events and impossible sizes with 4xx', async () => {
    expect((await ledger.as('auditor').get('/audit/proofs/inclusion').query({ eventId: 'no-such-event' })).status).toBe(404);
    expect((await ledger.as('auditor').get('/audit/proofs/consistency').query({ firstSize: 0 })).status).toBe(400);
    expect((await ledger.as('auditor').get('/audit/proofs/consistency').query({ firstSize: 'two' })).status).toBe(400);
  });
});

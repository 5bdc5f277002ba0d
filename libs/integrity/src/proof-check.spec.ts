import { loadSigningKey, newSigningKeyPem, publicKeyText, signDigest } from './digest';
import { leafDataOf } from './event-hash';
import { consistencyProof, inclusionProof, leafHash, rootOf } from './merkle';
import { checkConsistencyProof, checkInclusionProof } from './proof-check';
import { createPublicKey } from 'node:crypto';

/** The offline checks say what is wrong with evidence that is malformed, not only that it does not fit. */
describe('checking proofs against digests', () => {
  const key = loadSigningKey(newSigningKeyPem());
  const publicKey = publicKeyText(createPublicKey(key));
  const eventHashes = Array.from({ length: 7 }, (_, i) => i.toString(16).padStart(2, '0').repeat(32));
  const leaves = eventHashes.map((hash) => leafHash(leafDataOf(hash)));
  const digestOf = (size: number) => signDigest(key, { treeSize: size, rootHash: rootOf(leaves.slice(0, size)).toString('hex'), lastPosition: String(size), signedAt: '2026-01-01T00:00:00.000Z' });
  const inclusion = {
    eventId: 'e-3',
    eventHash: eventHashes[3],
    leafIndex: 3,
    treeSize: 7,
    rootHash: digestOf(7).rootHash,
    auditPath: inclusionProof(leaves, 3).map((hash) => hash.toString('hex')),
  };

  it('accepts genuine evidence', () => {
    expect(checkInclusionProof(inclusion, digestOf(7), publicKey)).toEqual({ ok: true });
    const proof = { firstSize: 4, secondSize: 7, firstRoot: digestOf(4).rootHash, secondRoot: digestOf(7).rootHash, proof: consistencyProof(leaves, 4).map((hash) => hash.toString('hex')) };
    expect(checkConsistencyProof(proof, digestOf(4), digestOf(7), publicKey)).toEqual({ ok: true });
  });

  it('names a hash of the wrong length, in the path or in the digest', () => {
    const longPath = { ...inclusion, auditPath: inclusion.auditPath.map((hash, i) => (i === 1 ? `${hash}ff` : hash)) };
    expect(checkInclusionProof(longPath, digestOf(7), publicKey)).toEqual({ ok: false, reason: 'not an inclusion proof: auditPath[1] is 33 bytes, not 32 (a SHA-256 hash is 64 hex digits)' });
    expect(checkInclusionProof({ ...inclusion, eventHash: 'ab' }, digestOf(7), publicKey)).toMatchObject({ ok: false, reason: expect.stringMatching(/eventHash is 1 bytes, not 32/) });
    expect(checkInclusionProof(inclusion, { ...digestOf(7), rootHash: `${digestOf(7).rootHash}00` }, publicKey)).toMatchObject({ ok: false, reason: expect.stringMatching(/^not a digest: rootHash is 33 bytes/) });
  });

  it('says whose key signed a digest that the trusted key did not sign', () => {
    const other = loadSigningKey(newSigningKeyPem());
    const forged = signDigest(other, { ...digestOf(7) });
    expect(checkInclusionProof(inclusion, forged, publicKey)).toMatchObject({ ok: false, reason: expect.stringMatching(new RegExp(`signed by key ${forged.keyId}, not by the key you trust`)) });
  });
});

import { createHash } from 'node:crypto';
import { IncrementalMerkleTree, consistencyProof, inclusionProof, leafHash, nodeHash, rootOf, verifyConsistency, verifyInclusion } from './merkle';

const leaves = (n: number) => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`event ${i}`)));

describe('Merkle trees (RFC 6962 / RFC 9162)', () => {
  it('hashes leaves and nodes with the RFC prefixes and splits at the largest power of two', () => {
    const [a, b, c] = leaves(3);
    expect(leafHash(Buffer.from('x'))).toEqual(createHash('sha256').update(Buffer.from([0])).update('x').digest());
    expect(rootOf([a, b, c])).toEqual(nodeHash(nodeHash(a, b), c));
    expect(rootOf([])).toEqual(createHash('sha256').digest());
  });

  it('grows incrementally to the same roots', () => {
    const all = leaves(70);
    const tree = new IncrementalMerkleTree();
    all.forEach((leaf, i) => {
      tree.append(leaf);
      expect(tree.root()).toEqual(rootOf(all.slice(0, i + 1)));
    });
  });

  it('proves and verifies every leaf of trees up to 33 leaves, and rejects wrong ones', () => {
    const all = leaves(33);
    for (let n = 1; n <= 33; n++) {
      const root = rootOf(all, 0, n);
      for (let m = 0; m < n; m++) {
        const path = inclusionProof(all, m, 0, n);
        expect(verifyInclusion(all[m], m, n, path, root)).toBe(true);
        if (n > 1) expect(verifyInclusion(all[(m + 1) % n], m, n, path, root)).toBe(false);
        if (path.length > 0) {
          const forged = path.map((hash, i) => (i === 0 ? Buffer.from(hash.map((byte, j) => (j === 0 ? byte ^ 1 : byte))) : hash));
          expect(verifyInclusion(all[m], m, n, forged, root)).toBe(false);
        }
      }
    }
  });

  it('proves and verifies consistency between every pair of sizes up to 33, and rejects forgeries', () => {
    const all = leaves(33);
    for (let n = 1; n <= 33; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProof(all, m, n);
        expect(verifyConsistency(m, n, proof, rootOf(all, 0, m), rootOf(all, 0, n))).toBe(true);
        if (m < n) {
          const other = leaves(33).map((leaf, i) => (i === m - 1 ? leafHash(Buffer.from('changed')) : leaf));
          expect(verifyConsistency(m, n, proof, rootOf(other, 0, m), rootOf(all, 0, n))).toBe(false);
        }
      }
    }
  });
});

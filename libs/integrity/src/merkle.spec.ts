import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

/**
 * The probes of the transparency-dev/merkle Go library (its testdata, in testdata/merkle-probes.json):
 * proofs that must verify, and forgeries around them (wrong sizes and indices, garbage before or
 * after the path, flipped bits, empty and short hashes) that must not.
 */
describe('Merkle verification against the transparency-dev/merkle probes', () => {
  const probes = JSON.parse(readFileSync(join(__dirname, 'testdata/merkle-probes.json'), 'utf8')) as {
    inclusion: Array<{ name: string; leafIdx: number; treeSize: number; root: string; leafHash: string; proof: string[]; wantErr: boolean }>;
    consistency: Array<{ name: string; size1: number; size2: number; root1: string; root2: string; proof: string[]; wantErr: boolean }>;
  };
  const bytes = (base64: string) => Buffer.from(base64, 'base64');
  /**
   * The Go library compares the roots of two equal sizes without looking at their length; we refuse
   * any hash that is not 32 bytes, wherever it appears.
   */
  const refusedHere = new Set(['consistency/additional/sizes-are-equal-one-and-proof-is-empty']);

  it.each(probes.inclusion.map((probe) => [probe.name, probe] as const))('inclusion %s', (_, probe) => {
    expect(verifyInclusion(bytes(probe.leafHash), probe.leafIdx, probe.treeSize, probe.proof.map(bytes), bytes(probe.root))).toBe(!probe.wantErr);
  });

  it.each(probes.consistency.map((probe) => [probe.name, probe] as const))('consistency %s', (_, probe) => {
    const accepted = !probe.wantErr && !refusedHere.has(probe.name);
    expect(verifyConsistency(probe.size1, probe.size2, probe.proof.map(bytes), bytes(probe.root1), bytes(probe.root2))).toBe(accepted);
  });

  it('refuses an empty leaf in a tree of one with an empty root, and hashes of any length but 32', () => {
    expect(verifyInclusion(Buffer.alloc(0), 0, 1, [], Buffer.alloc(0))).toBe(false);
    const [a, b] = leaves(2);
    const root = nodeHash(a, b);
    expect(verifyInclusion(a, 0, 2, [b], root)).toBe(true);
    expect(verifyInclusion(a, 0, 2, [Buffer.concat([b, Buffer.from([0])])], root)).toBe(false);
    expect(verifyInclusion(Buffer.alloc(31), 0, 1, [], Buffer.alloc(31))).toBe(false);
    expect(verifyConsistency(1, 1, [], Buffer.alloc(16), Buffer.alloc(16))).toBe(false);
    expect(verifyConsistency(1, 2, [b], a, root)).toBe(true);
    expect(verifyConsistency(1, 2, [b.subarray(0, 31)], a, root)).toBe(false);
  });
});

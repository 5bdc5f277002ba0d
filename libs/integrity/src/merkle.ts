import { createHash } from 'node:crypto';

/**
 * Merkle trees over the log, exactly as RFC 6962 §2.1 / RFC 9162 §2.1 define them: leaf hash
 * SHA-256(0x00 || data), node hash SHA-256(0x01 || left || right), a tree of n leaves split at the
 * largest power of two below n. Audit paths (inclusion proofs) and consistency proofs are those of
 * the RFC, and so are the algorithms that verify them (RFC 9162 §2.1.3.2 and §2.1.4.2).
 */
export type Hash = Buffer;

const sha256 = (...parts: Buffer[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};
const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

export const leafHash = (data: Buffer): Hash => sha256(LEAF, data);
export const nodeHash = (left: Hash, right: Hash): Hash => sha256(NODE, left, right);
export const EMPTY_ROOT: Hash = sha256();
export const HASH_BYTES = 32;

/** Verification takes no hash that is not a SHA-256 (an empty or short one must never "match"). */
const allHashes = (...hashes: ReadonlyArray<Hash | readonly Hash[]>) =>
  hashes.every((hash) => (Buffer.isBuffer(hash) ? hash.length === HASH_BYTES : (hash as readonly Hash[]).every((part) => Buffer.isBuffer(part) && part.length === HASH_BYTES)));

/** Largest power of two strictly smaller than n (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[start:end]) over leaf hashes. */
export function rootOf(leaves: readonly Hash[], start = 0, end = leaves.length): Hash {
  const n = end - start;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[start];
  const k = split(n);
  return nodeHash(rootOf(leaves, start, start + k), rootOf(leaves, start + k, end));
}

/** PATH(m, D[start:end]): the audit path of leaf m in the tree of those leaves. */
export function inclusionProof(leaves: readonly Hash[], m: number, start = 0, end = leaves.length): Hash[] {
  const n = end - start;
  if (n <= 1) return [];
  const k = split(n);
  return m < k
    ? [...inclusionProof(leaves, m, start, start + k), rootOf(leaves, start + k, end)]
    : [...inclusionProof(leaves, m - k, start + k, end), rootOf(leaves, start, start + k)];
}

/** PROOF(m, D[0:n]): the consistency proof between the trees of the first m and the first n leaves. */
export function consistencyProof(leaves: readonly Hash[], m: number, n = leaves.length): Hash[] {
  const subProof = (m: number, start: number, end: number, complete: boolean): Hash[] => {
    const size = end - start;
    if (m === size) return complete ? [] : [rootOf(leaves, start, end)];
    const k = split(size);
    return m <= k
      ? [...subProof(m, start, start + k, complete), rootOf(leaves, start + k, end)]
      : [...subProof(m - k, start + k, end, false), rootOf(leaves, start, start + k)];
  };
  if (m <= 0 || m > n) throw new RangeError(`no consistency proof from ${m} to ${n}`);
  return m === n ? [] : subProof(m, 0, n, true);
}

/** RFC 9162 §2.1.3.2: does this audit path prove that `leaf` is leaf `index` of a tree of `size` with `root`? */
export function verifyInclusion(leaf: Hash, index: number, size: number, path: readonly Hash[], root: Hash): boolean {
  if (index >= size || index < 0 || !allHashes(leaf, path, root)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else r = nodeHash(r, p);
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 §2.1.4.2: does this proof show the tree (size1, root1) is a prefix of (size2, root2)? */
export function verifyConsistency(size1: number, size2: number, proof: readonly Hash[], root1: Hash, root2: Hash): boolean {
  if (size1 <= 0 || size1 > size2 || !allHashes(proof, root1, root2)) return false;
  if (size1 === size2) return proof.length === 0 && root1.equals(root2);
  let path = [...proof];
  if ((size1 & (size1 - 1)) === 0) path = [root1, ...path];
  if (path.length === 0) return false;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn >>= 1;
    sn >>= 1;
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else sr = nodeHash(sr, c);
    fn >>= 1;
    sn >>= 1;
  }
  return fr.equals(root1) && sr.equals(root2) && sn === 0;
}

/**
 * The root of a growing tree with O(log n) memory: a stack of perfect subtree roots, as leaves
 * arrive in order. `root()` at any size equals `rootOf` of the leaves so far.
 */
export class IncrementalMerkleTree {
  private readonly stack: Array<{ hash: Hash; size: number }> = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  append(leaf: Hash): void {
    let node = { hash: leaf, size: 1 };
    while (this.stack.length > 0 && this.stack[this.stack.length - 1].size === node.size) {
      const left = this.stack.pop()!;
      node = { hash: nodeHash(left.hash, node.hash), size: left.size * 2 };
    }
    this.stack.push(node);
    this.count++;
  }

  root(): Hash {
    if (this.stack.length === 0) return EMPTY_ROOT;
    let hash = this.stack[this.stack.length - 1].hash;
    for (let i = this.stack.length - 2; i >= 0; i--) hash = nodeHash(this.stack[i].hash, hash);
    return hash;
  }
}

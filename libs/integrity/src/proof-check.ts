import { LogDigest, digestSignatureValid } from './digest';
import { leafDataOf } from './event-hash';
import { leafHash, verifyConsistency, verifyInclusion } from './merkle';

/** What the API hands out, checked offline against digests an auditor kept (and the key they trust). */
export interface InclusionProof {
  eventId: string;
  eventHash: string;
  leafIndex: number;
  treeSize: number;
  rootHash: string;
  auditPath: string[];
}

export interface ConsistencyProof {
  firstSize: number;
  secondSize: number;
  firstRoot: string;
  secondRoot: string;
  proof: string[];
}

export type CheckResult = { ok: true } | { ok: false; reason: string };

const hex = (values: string[]) => values.map((value) => Buffer.from(value, 'hex'));

function checkDigest(digest: LogDigest, trustedPublicKey?: string): CheckResult {
  return digestSignatureValid(digest, trustedPublicKey) ? { ok: true } : { ok: false, reason: `the digest of tree size ${digest.treeSize} is not validly signed` };
}

/** The event with `eventHash` is leaf `leafIndex` of the tree the digest signed. */
export function checkInclusionProof(proof: InclusionProof, digest: LogDigest, trustedPublicKey?: string): CheckResult {
  const signature = checkDigest(digest, trustedPublicKey);
  if (!signature.ok) return signature;
  if (proof.treeSize !== digest.treeSize) return { ok: false, reason: `the proof is for tree size ${proof.treeSize}, the digest for ${digest.treeSize}` };
  const valid = verifyInclusion(leafHash(leafDataOf(proof.eventHash)), proof.leafIndex, proof.treeSize, hex(proof.auditPath), Buffer.from(digest.rootHash, 'hex'));
  return valid ? { ok: true } : { ok: false, reason: 'the audit path does not lead from the event to the digest’s root' };
}

/** The older digest's tree is a prefix of the newer digest's tree. */
export function checkConsistencyProof(proof: ConsistencyProof, older: LogDigest, newer: LogDigest, trustedPublicKey?: string): CheckResult {
  for (const digest of [older, newer]) {
    const signature = checkDigest(digest, trustedPublicKey);
    if (!signature.ok) return signature;
  }
  if (proof.firstSize !== older.treeSize || proof.secondSize !== newer.treeSize) {
    return { ok: false, reason: `the proof is between sizes ${proof.firstSize} and ${proof.secondSize}, the digests are of ${older.treeSize} and ${newer.treeSize}` };
  }
  const valid = verifyConsistency(older.treeSize, newer.treeSize, hex(proof.proof), Buffer.from(older.rootHash, 'hex'), Buffer.from(newer.rootHash, 'hex'));
  return valid ? { ok: true } : { ok: false, reason: 'the newer log does not extend the older one: entries were changed, removed or reordered' };
}

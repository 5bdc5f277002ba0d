import { createPublicKey } from 'node:crypto';
import { LogDigest, digestSignatureValid, keyIdOf } from './digest';
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

// --- the shape of the evidence: what is wrong with a value that should be a digest or a proof

/** What is wrong with a hash (a SHA-256, 64 hex digits), if anything. */
function hashProblem(name: string, value: unknown): string | undefined {
  if (typeof value !== 'string') return `${name} is ${value === undefined ? 'missing' : `not a string (${JSON.stringify(value)})`}`;
  if (!/^([0-9a-fA-F]{2})*$/.test(value)) return `${name} is not hexadecimal`;
  if (value.length !== 64) return `${name} is ${value.length / 2} bytes, not 32 (a SHA-256 hash is 64 hex digits)`;
  return undefined;
}

function sizeProblem(name: string, value: unknown, least: number): string | undefined {
  if (value === undefined) return `${name} is missing`;
  return Number.isSafeInteger(value) && (value as number) >= least ? undefined : `${name} is not a whole number of at least ${least} (${JSON.stringify(value)})`;
}

function textProblem(name: string, value: unknown, pattern = /^.+$/s): string | undefined {
  if (value === undefined) return `${name} is missing`;
  return typeof value === 'string' && pattern.test(value) ? undefined : `${name} is not what it should be (${JSON.stringify(value)?.slice(0, 40)})`;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** What the value holds instead of an object with fields, or an answer of the API that is not the evidence itself. */
function notAnObject(value: unknown): string | undefined {
  if (value === null) return 'it holds null';
  if (Array.isArray(value)) return `it holds a list (of ${value.length})`;
  if (typeof value !== 'object') return `it holds a ${typeof value} (${JSON.stringify(value).slice(0, 40)})`;
  const record = value as Record<string, unknown>;
  if (Array.isArray(record.digests)) return `it holds the list of digests (GET /audit/digests): keep one of them, e.g. jq '.digests[-1]'`;
  if ('digest' in record && Object.keys(record).length === 1) {
    return record.digest === null ? 'it holds the answer of POST /audit/digests, which signed no digest (the log is empty)' : 'it holds the answer of POST /audit/digests: keep its .digest (jq .digest)';
  }
  if (typeof record.status === 'number' && typeof record.code === 'string') return `it holds an error answer (${record.status} ${record.code}: ${String(record.detail ?? record.title ?? '')})`;
  return undefined;
}

const first = (...problems: Array<string | undefined>) => problems.find((problem) => problem !== undefined);

/** What is wrong with a value that should be a signed digest (as GET /audit/digests lists them), if anything. */
export function digestProblem(value: unknown): string | undefined {
  const shape = notAnObject(value);
  if (shape) return shape;
  const digest = value as Record<string, unknown>;
  if (digest.signature === undefined) return 'it has no signature';
  return first(
    sizeProblem('treeSize', digest.treeSize, 1),
    hashProblem('rootHash', digest.rootHash),
    textProblem('lastPosition', digest.lastPosition, /^\d+$/),
    textProblem('signedAt', digest.signedAt),
    textProblem('keyId', digest.keyId),
    textProblem('publicKey', digest.publicKey, BASE64),
    textProblem('signature', digest.signature, BASE64),
  );
}

function pathProblem(name: string, value: unknown): string | undefined {
  if (!Array.isArray(value)) return `${name} is ${value === undefined ? 'missing' : 'not a list of hashes'}`;
  return first(...value.map((hash, i) => hashProblem(`${name}[${i}]`, hash)));
}

/** What is wrong with a value that should be an inclusion proof (GET /audit/proofs/inclusion), if anything. */
export function inclusionProofProblem(value: unknown): string | undefined {
  const shape = notAnObject(value);
  if (shape) return shape;
  const proof = value as Record<string, unknown>;
  if (proof.eventId === undefined) return 'it has no eventId';
  return first(
    textProblem('eventId', proof.eventId),
    hashProblem('eventHash', proof.eventHash),
    sizeProblem('leafIndex', proof.leafIndex, 0),
    sizeProblem('treeSize', proof.treeSize, 1),
    hashProblem('rootHash', proof.rootHash),
    pathProblem('auditPath', proof.auditPath),
    (proof.leafIndex as number) < (proof.treeSize as number) ? undefined : `leafIndex ${String(proof.leafIndex)} is not in a tree of size ${String(proof.treeSize)}`,
  );
}

/** What is wrong with a value that should be a consistency proof (GET /audit/proofs/consistency), if anything. */
export function consistencyProofProblem(value: unknown): string | undefined {
  const shape = notAnObject(value);
  if (shape) return shape;
  const proof = value as Record<string, unknown>;
  if (proof.firstSize === undefined) return 'it has no firstSize';
  return first(
    sizeProblem('firstSize', proof.firstSize, 1),
    sizeProblem('secondSize', proof.secondSize, 1),
    hashProblem('firstRoot', proof.firstRoot),
    hashProblem('secondRoot', proof.secondRoot),
    pathProblem('proof', proof.proof),
  );
}

/** What is wrong with a public key (base64 SPKI of an Ed25519 key, as GET /audit/public-key gives it), if anything. */
export function publicKeyProblem(text: string): string | undefined {
  if (!BASE64.test(text)) return 'it is not base64';
  try {
    const key = createPublicKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ed25519' ? undefined : `it is an ${key.asymmetricKeyType} key, not Ed25519`;
  } catch {
    return 'it is not a public key in SPKI form';
  }
}

// --- the checks

function checkDigest(digest: LogDigest, trustedPublicKey?: string): CheckResult {
  const shape = digestProblem(digest);
  if (shape) return { ok: false, reason: `not a digest: ${shape}` };
  if (digestSignatureValid(digest, trustedPublicKey)) return { ok: true };
  const trustedKeyId = trustedPublicKey && keyIdOf(trustedPublicKey);
  if (trustedKeyId && keyIdOf(digest.publicKey) !== trustedKeyId) {
    return { ok: false, reason: `the digest of tree size ${digest.treeSize} is signed by key ${digest.keyId}, not by the key you trust (key ${trustedKeyId})` };
  }
  return { ok: false, reason: `the digest of tree size ${digest.treeSize} is not validly signed` };
}

/** The event with `eventHash` is leaf `leafIndex` of the tree the digest signed. */
export function checkInclusionProof(proof: InclusionProof, digest: LogDigest, trustedPublicKey?: string): CheckResult {
  const shape = inclusionProofProblem(proof);
  if (shape) return { ok: false, reason: `not an inclusion proof: ${shape}` };
  const signature = checkDigest(digest, trustedPublicKey);
  if (!signature.ok) return signature;
  if (proof.treeSize !== digest.treeSize) return { ok: false, reason: `the proof is for tree size ${proof.treeSize}, the digest for ${digest.treeSize}` };
  const valid = verifyInclusion(leafHash(leafDataOf(proof.eventHash)), proof.leafIndex, proof.treeSize, hex(proof.auditPath), Buffer.from(digest.rootHash, 'hex'));
  return valid ? { ok: true } : { ok: false, reason: 'the audit path does not lead from the event to the digest’s root' };
}

/** The older digest's tree is a prefix of the newer digest's tree. */
export function checkConsistencyProof(proof: ConsistencyProof, older: LogDigest, newer: LogDigest, trustedPublicKey?: string): CheckResult {
  const shape = consistencyProofProblem(proof);
  if (shape) return { ok: false, reason: `not a consistency proof: ${shape}` };
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

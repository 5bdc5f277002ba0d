import { KeyObject, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';

/**
 * Signed digests of the log (like a Certificate Transparency signed tree head): the size of the
 * Merkle tree over the first `treeSize` events, its root, and the position of its last event,
 * signed with the ledger's Ed25519 key. An auditor who keeps one can later check that the log
 * still contains exactly that prefix, and that a given event is in it.
 */
export const DIGEST_STREAM = 'integrity-digests';
export const DIGEST_EVENT_TYPE = 'LogDigestSigned';

export interface LogDigest {
  treeSize: number;
  rootHash: string;
  lastPosition: string;
  signedAt: string;
  keyId: string;
  publicKey: string;
  signature: string;
}

const signedText = (digest: Pick<LogDigest, 'treeSize' | 'rootHash' | 'lastPosition' | 'signedAt'>) =>
  `student-aid-ledger/log-digest/v1\n${digest.treeSize}\n${digest.rootHash}\n${digest.lastPosition}\n${digest.signedAt}`;

export const publicKeyText = (key: KeyObject) => key.export({ type: 'spki', format: 'der' }).toString('base64');
export const keyIdOf = (publicKey: string) => createHash('sha256').update(Buffer.from(publicKey, 'base64')).digest('hex').slice(0, 16);

export function signDigest(
  privateKey: KeyObject,
  content: Pick<LogDigest, 'treeSize' | 'rootHash' | 'lastPosition' | 'signedAt'>,
): LogDigest {
  const publicKey = publicKeyText(createPublicKey(privateKey));
  return {
    ...content,
    keyId: keyIdOf(publicKey),
    publicKey,
    signature: sign(null, Buffer.from(signedText(content)), privateKey).toString('base64'),
  };
}

/** True when the digest is signed by `trustedPublicKey` (base64 SPKI), or by its own key when none is given. */
export function digestSignatureValid(digest: LogDigest, trustedPublicKey?: string): boolean {
  try {
    const key = createPublicKey({ key: Buffer.from(trustedPublicKey ?? digest.publicKey, 'base64'), format: 'der', type: 'spki' });
    return verify(null, Buffer.from(signedText(digest)), key, Buffer.from(digest.signature, 'base64'));
  } catch {
    return false;
  }
}

export function loadSigningKey(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the signing key must be Ed25519, not ${key.asymmetricKeyType}`);
  return key;
}

export function newSigningKeyPem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

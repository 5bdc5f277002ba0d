import { createCipheriv, createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import { freshRandom } from './fresh-random';
import { SealBrokenError } from './errors';

/**
 * A personal field sealed with its student's data key, as stored in an event:
 * `sealed:v1:` + base64url(IV ‖ key commitment ‖ ciphertext ‖ tag).
 *
 * - AES-256-GCM, a random 96-bit IV per seal: the same value sealed twice reads differently.
 * - `aad` (authenticated, not stored) names where the value belongs — its student key and field
 *   path (sealAad) — so a sealed value copied to another student or field does not open.
 * - The plaintext is padded to a multiple of 16 bytes (a 0x80 byte, then zeros), so a sealed name
 *   does not tell a two-character name from a four-character one.
 * - The key commitment, SHA-256 over a label, the key and the IV, fixes which key the seal opens
 *   under. GCM alone does not: whoever chooses the keys can make one ciphertext that opens under two
 *   keys to two plaintexts. With the commitment inside the hashed, signed event, an auditor handed a
 *   data key can check that the value it opens to is the one recorded (docs/personal-data.md).
 */
const PREFIX = 'sealed:v1:';
const IV_BYTES = 12;
const COMMITMENT_BYTES = 32;
const TAG_BYTES = 16;
const PAD_BLOCK = 16;
const DATA_KEY_BYTES = 32;
const SEALED = /^sealed:v1:[A-Za-z0-9_-]+$/;
/** The fewest bytes a seal holds: IV, commitment, one padded block, tag. */
const MIN_SEAL_BYTES = IV_BYTES + COMMITMENT_BYTES + PAD_BLOCK + TAG_BYTES;

/** The authenticated context of a student's personal field: binds a seal to its student and field path (e.g. `student.name`). */
export function sealAad(studentKey: string, field: string): string {
  return `${studentKey}/${field}`;
}

export function seal(dataKey: Buffer, plaintext: string, aad: string): string {
  checkDataKey(dataKey);
  const iv = freshRandom(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(padded(Buffer.from(plaintext, 'utf8'))), cipher.final()]);
  return PREFIX + Buffer.concat([iv, keyCommitment(dataKey, iv), body, cipher.getAuthTag()]).toString('base64url');
}

/** The plaintext of a seal, or SealBrokenError: altered, another aad (student or field), another key, or not a seal. */
export function openSeal(dataKey: Buffer, sealed: string, aad: string): string {
  checkDataKey(dataKey);
  const bytes = sealBytes(sealed);
  if (!bytes) throw new SealBrokenError('not a sealed value (sealed:v1:…)');
  const iv = bytes.subarray(0, IV_BYTES);
  const commitment = bytes.subarray(IV_BYTES, IV_BYTES + COMMITMENT_BYTES);
  const refused = () => new SealBrokenError('a sealed value does not open: altered, moved from another student or field, or sealed under another key');
  if (!timingSafeEqual(commitment, keyCommitment(dataKey, iv))) throw refused();
  const decipher = createDecipheriv('aes-256-gcm', dataKey, iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + COMMITMENT_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw refused();
  }
  const unpadded = withoutPadding(plain);
  if (!unpadded) throw refused();
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(unpadded);
  } catch {
    throw refused();
  }
}

/** Whether a stored value is a seal (of this format), to tell sealed fields from the clear ones of older events. */
export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && sealBytes(value) !== undefined;
}

function sealBytes(sealed: string): Buffer | undefined {
  if (!SEALED.test(sealed)) return undefined;
  const text = sealed.slice(PREFIX.length);
  const bytes = Buffer.from(text, 'base64url');
  // Node's decoder skips what is not base64url; only a canonical encoding is a seal.
  if (bytes.toString('base64url') !== text) return undefined;
  if (bytes.length < MIN_SEAL_BYTES || (bytes.length - IV_BYTES - COMMITMENT_BYTES - TAG_BYTES) % PAD_BLOCK !== 0) return undefined;
  return bytes;
}

function keyCommitment(dataKey: Buffer, iv: Buffer): Buffer {
  return createHash('sha256').update('sealed:v1 key commitment\0').update(dataKey).update(iv).digest();
}

function checkDataKey(dataKey: Buffer): void {
  if (!Buffer.isBuffer(dataKey) || dataKey.length !== DATA_KEY_BYTES) throw new TypeError(`a data key is ${DATA_KEY_BYTES} bytes`);
}

/** ISO/IEC 7816-4 padding: 0x80, then zeros up to the next multiple of PAD_BLOCK (always at least one byte). */
function padded(plain: Buffer): Buffer {
  const length = (Math.floor(plain.length / PAD_BLOCK) + 1) * PAD_BLOCK;
  const out = Buffer.alloc(length);
  plain.copy(out);
  out[plain.length] = 0x80;
  return out;
}

function withoutPadding(plain: Buffer): Buffer | undefined {
  let end = plain.length - 1;
  while (end >= 0 && plain[end] === 0) end--;
  return end >= 0 && plain[end] === 0x80 ? plain.subarray(0, end) : undefined;
}

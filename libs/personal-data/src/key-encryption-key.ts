import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { freshRandom } from './fresh-random';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { KeyFileError, KeyUnwrapError } from './errors';

/**
 * The key that wraps every other key (each student's data key, the blind-index key), kept outside
 * the event log and the key store. A port: the key file below by default; a KMS or an HSM implements
 * the same three members (its own `wrap`/`unwrap` calls, its key's id) and nothing else changes.
 * `context` is bound to the wrapped bytes (authenticated, not encrypted): a key wrapped for one
 * student does not unwrap as another's.
 */
export interface KeyEncryptionKey {
  /** Names the key without revealing it; stored beside what it wrapped, to say which key a store needs. */
  readonly id: string;
  wrap(plain: Buffer, context: string): Buffer;
  /** The plain key, or KeyUnwrapError for another key, another context or altered bytes. */
  unwrap(wrapped: Buffer, context: string): Buffer;
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The first byte of what FileKeyEncryptionKey wraps: its layout, version ‖ IV ‖ ciphertext ‖ tag. */
const WRAP_V1 = 0x01;

/** A short, one-way name of a key: who has only the id learns nothing of the key. */
function keyId(key: Buffer): string {
  return createHash('sha256').update('ledger key-encryption key id\0').update(key).digest('hex').slice(0, 16);
}

/**
 * The key-encryption key in a file of its own: 32 random bytes (AES-256-GCM), the file mode 0600.
 * Made once, when the file does not exist; an existing file is never replaced — a file of the wrong
 * length is an error, because a new key would leave every key it wrapped unreadable.
 */
export class FileKeyEncryptionKey implements KeyEncryptionKey {
  readonly #key: Buffer;
  readonly id: string;

  private constructor(
    key: Buffer,
    readonly path: string,
  ) {
    this.#key = key;
    this.id = keyId(key);
  }

  /** The key in this file, made (with its directory, mode 0700) if the file does not exist. */
  static openOrCreate(path: string): FileKeyEncryptionKey {
    if (!exists(path)) createKeyFile(path);
    const stat = statSync(path);
    if (!stat.isFile()) throw new KeyFileError(`key-encryption key ${path} is not a file`);
    if (stat.mode & 0o077) {
      throw new KeyFileError(`key-encryption key ${path} is open to group or others (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}): run chmod 600 ${path}`);
    }
    const key = readFileSync(path);
    if (key.length !== KEY_BYTES) {
      throw new KeyFileError(`key-encryption key ${path} holds ${key.length} bytes, not ${KEY_BYTES}: not a key file this ledger made (restore the right one; it is never replaced)`);
    }
    return new FileKeyEncryptionKey(key, path);
  }

  wrap(plain: Buffer, context: string): Buffer {
    const iv = freshRandom(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.of(WRAP_V1), iv, body, cipher.getAuthTag()]);
  }

  unwrap(wrapped: Buffer, context: string): Buffer {
    const refused = () => new KeyUnwrapError(`a wrapped key does not unwrap with key-encryption key ${this.id}: wrapped by another key, for another context, or altered`);
    if (wrapped.length < 1 + IV_BYTES + TAG_BYTES || wrapped[0] !== WRAP_V1) throw refused();
    const decipher = createDecipheriv('aes-256-gcm', this.#key, wrapped.subarray(1, 1 + IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(wrapped.subarray(wrapped.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(wrapped.subarray(1 + IV_BYTES, wrapped.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw refused();
    }
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Writes a new key whole under a temporary name, then links it into place: link() never replaces an
 * existing file, so of two processes making the key at once one wins and both use its key, and no
 * reader ever sees a half-written file.
 */
function createKeyFile(path: string): void {
  const directory = dirname(path);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.new`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, randomBytes(KEY_BYTES));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
  const dir = openSync(directory, 'r');
  try {
    fsyncSync(dir); // the new name survives a crash
  } finally {
    closeSync(dir);
  }
}

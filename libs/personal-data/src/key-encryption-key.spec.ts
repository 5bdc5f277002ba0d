import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { KeyFileError, KeyUnwrapError } from './errors';
import { FileKeyEncryptionKey } from './key-encryption-key';

describe('FileKeyEncryptionKey', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ledger-kek-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('given no key file', () => {
    it('makes one of 32 random bytes, mode 0600, in a directory it makes', () => {
      const path = join(dir, 'keys', 'kek.key');
      const kek = FileKeyEncryptionKey.openOrCreate(path);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readFileSync(path)).toHaveLength(32);
      expect(kek.id).toMatch(/^[0-9a-f]{16}$/);
      expect(FileKeyEncryptionKey.openOrCreate(join(dir, 'other.key')).id).not.toBe(kek.id);
    });

    it('keeps the key: opened again, it has the same id and unwraps what it wrapped', () => {
      const path = join(dir, 'kek.key');
      const wrapped = FileKeyEncryptionKey.openOrCreate(path).wrap(Buffer.from('a data key'), 'student-data-key:s1');
      const again = FileKeyEncryptionKey.openOrCreate(path);
      expect(again.id).toBe(FileKeyEncryptionKey.openOrCreate(path).id);
      expect(again.unwrap(wrapped, 'student-data-key:s1').toString()).toBe('a data key');
    });
  });

  describe('given an existing key file', () => {
    it.each(['0640', '0604', '0644', '0660'])('refuses it when it is open to group or others (mode %s), naming the path and chmod 600', (shown) => {
      const mode = parseInt(shown, 8);
      const path = join(dir, 'kek.key');
      FileKeyEncryptionKey.openOrCreate(path);
      chmodSync(path, mode);
      expect(() => FileKeyEncryptionKey.openOrCreate(path)).toThrow(KeyFileError);
      expect(() => FileKeyEncryptionKey.openOrCreate(path)).toThrow(`key-encryption key ${path} is open to group or others (mode ${shown}): run chmod 600 ${path}`);
      chmodSync(path, 0o600);
      expect(() => FileKeyEncryptionKey.openOrCreate(path)).not.toThrow();
    });

    it.each([0, 31, 33, 64])('refuses a file of %i bytes and leaves it as it was (a new key would orphan every wrapped one)', (length) => {
      const path = join(dir, 'kek.key');
      const content = Buffer.alloc(length, 7);
      writeFileSync(path, content, { mode: 0o600 });
      expect(() => FileKeyEncryptionKey.openOrCreate(path)).toThrow(`key-encryption key ${path} holds ${length} bytes, not 32`);
      expect(readFileSync(path).equals(content)).toBe(true);
    });

    it('refuses a directory', () => {
      expect(() => FileKeyEncryptionKey.openOrCreate(dir)).toThrow(`key-encryption key ${dir} is not a file`);
    });
  });

  describe('wrap and unwrap', () => {
    it('wraps a key unreadably, differently each time', () => {
      const kek = FileKeyEncryptionKey.openOrCreate(join(dir, 'kek.key'));
      const plain = Buffer.alloc(32, 0xab);
      const [first, second] = [kek.wrap(plain, 'c'), kek.wrap(plain, 'c')];
      expect(first.equals(second)).toBe(false);
      expect(first.includes(plain)).toBe(false);
      expect(kek.unwrap(first, 'c').equals(plain)).toBe(true);
    });

    it('refuses another context: a key wrapped for one student does not unwrap as another\'s', () => {
      const kek = FileKeyEncryptionKey.openOrCreate(join(dir, 'kek.key'));
      const wrapped = kek.wrap(Buffer.alloc(32, 1), 'student-data-key:sA');
      expect(() => kek.unwrap(wrapped, 'student-data-key:sB')).toThrow(KeyUnwrapError);
    });

    it('refuses another key-encryption key', () => {
      const kek = FileKeyEncryptionKey.openOrCreate(join(dir, 'kek.key'));
      const other = FileKeyEncryptionKey.openOrCreate(join(dir, 'other.key'));
      const wrapped = kek.wrap(Buffer.alloc(32, 1), 'c');
      expect(() => other.unwrap(wrapped, 'c')).toThrow(`a wrapped key does not unwrap with key-encryption key ${other.id}`);
    });

    it('refuses altered bytes, whichever byte, and a truncated wrap', () => {
      const kek = FileKeyEncryptionKey.openOrCreate(join(dir, 'kek.key'));
      const wrapped = kek.wrap(Buffer.alloc(32, 1), 'c');
      for (let i = 0; i < wrapped.length; i++) {
        const altered = Buffer.from(wrapped);
        altered[i] ^= 0x01;
        expect(() => kek.unwrap(altered, 'c')).toThrow(KeyUnwrapError);
      }
      expect(() => kek.unwrap(wrapped.subarray(0, 20), 'c')).toThrow(KeyUnwrapError);
    });

    it('keeps the key out of what inspecting the object shows', () => {
      const path = join(dir, 'kek.key');
      const kek = FileKeyEncryptionKey.openOrCreate(path);
      const key = readFileSync(path);
      const shown = `${JSON.stringify(kek)} ${inspect(kek, { showHidden: true, depth: 5 })}`;
      expect(shown).not.toContain(key.toString('hex'));
      expect(shown).not.toMatch(/data: \[/); // no Buffer's bytes
    });
  });
});

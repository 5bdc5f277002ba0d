import Database from 'better-sqlite3';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyStoreKeyMismatchError, KeyUnwrapError, StudentDataErasedError } from './errors';
import { FileKeyEncryptionKey } from './key-encryption-key';
import { isStudentKey, newStudentKey } from './student-key';
import { StudentKeyStore, studentKeyStorePath } from './student-key-store';
import { filesHolding, wrappedDataKeyIn } from './testing/key-dir';

describe('newStudentKey', () => {
  it('is s and 26 Crockford base32 characters: the time it was made, then 80 random bits, different every time', () => {
    const keys = Array.from({ length: 2000 }, () => newStudentKey(Date.UTC(2026, 11, 2, 4, 20)));
    for (const key of keys) expect(key).toMatch(/^s[0-7][0-9a-hjkmnp-tv-z]{25}$/);
    expect(new Set(keys).size).toBe(keys.length);
    // The first 10 characters (48 bits, a few bits short of 10 whole characters) are the time; every character after it is random.
    expect(new Set(keys.map((key) => key.slice(1, 10))).size).toBe(1);
    for (let i = 11; i < 27; i++) expect(new Set(keys.map((key) => key[i])).size).toBeGreaterThan(20);
    expect(keys.every(isStudentKey)).toBe(true);
  });

  it('sorts keys made later after keys made earlier (the key store\'s tables grow at their end)', () => {
    const earlier = newStudentKey(Date.UTC(2026, 0, 1));
    const later = newStudentKey(Date.UTC(2026, 0, 1) + 1);
    expect(earlier < later).toBe(true);
    expect(newStudentKey(Date.UTC(9999, 0, 1))).toMatch(/^s[0-7]/);
  });

  it('is told apart from an identifier passed by mistake', () => {
    for (const value of ['110101200501011234', 'G110101200501011234', `S${newStudentKey().slice(1)}`, `${newStudentKey()}0`, `s8${newStudentKey().slice(2)}`]) expect(isStudentKey(value)).toBe(false);
  });
});

describe('StudentKeyStore', () => {
  let dir: string;
  let kek: FileKeyEncryptionKey;
  let path: string;
  let store: StudentKeyStore;
  const open = () => (store = StudentKeyStore.open(path, kek));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-keys-'));
    kek = FileKeyEncryptionKey.openOrCreate(join(dir, 'kek', 'key-encryption.key'));
    path = studentKeyStorePath(join(dir, 'keys'));
    open();
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a file of its own, mode 0600', () => {
    expect(path).toBe(join(dir, 'keys', 'student-keys.sqlite'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  describe('data keys', () => {
    it('makes a 256-bit key on first use and gives the same one after, across a reopen', () => {
      const student = newStudentKey();
      expect(store.dataKeyOf(student)).toBeUndefined();
      const key = store.ensureDataKey(student);
      expect(key).toHaveLength(32);
      expect(store.ensureDataKey(student).equals(key)).toBe(true);
      store.close();
      open();
      expect((store.dataKeyOf(student) as Buffer).equals(key)).toBe(true);
      expect(store.ensureDataKey(newStudentKey()).equals(key)).toBe(false);
    });

    it('stores a key only wrapped by the key-encryption key, bound to its student', () => {
      const student = newStudentKey();
      const key = store.ensureDataKey(student);
      expect(filesHolding(dir, key)).toEqual([]);
      const wrapped = wrappedDataKeyIn(path, student)!;
      expect(kek.unwrap(wrapped, `student-data-key:${student}`).equals(key)).toBe(true);
      expect(() => kek.unwrap(wrapped, `student-data-key:${newStudentKey()}`)).toThrow(KeyUnwrapError);
    });

    it('refuses what is not a student key (an identifier would be stored in the clear), without echoing it', () => {
      expect(() => store.ensureDataKey('110101200501011234')).toThrow('not a student key (s + 26 base32 characters): 18 characters');
      expect(() => store.dataKeyOf('G110101200501011234')).toThrow(TypeError);
      expect(() => store.destroy('110101200501011234', new Date())).toThrow(TypeError);
    });
  });

  describe('the data keys it keeps in memory', () => {
    it('keeps no key made in a part of a transaction that rolled back: it is made anew, not served from memory', () => {
      const student = newStudentKey();
      let rolledBack: Buffer | undefined;
      store.inOneTransaction(() => {
        try {
          store.inOneTransaction(() => {
            rolledBack = store.ensureDataKey(student);
            throw new Error('this part fails');
          });
        } catch {
          // the part is undone; the transaction goes on and commits
        }
      });
      expect(rolledBack).toBeInstanceOf(Buffer);
      const made = store.ensureDataKey(student);
      expect(made.equals(rolledBack!)).toBe(false);
      store.close();
      open();
      expect((store.dataKeyOf(student) as Buffer).equals(made)).toBe(true);
    });

    it('serves no key destroyed in the transaction that read it', () => {
      const student = newStudentKey();
      store.ensureDataKey(student);
      store.close();
      open();
      store.inOneTransaction(() => {
        expect(store.dataKeyOf(student)).toBeInstanceOf(Buffer);
        store.shredAll([student]);
      });
      expect(store.dataKeyOf(student)).toBe('destroyed');
    });
  });

  describe('destroy', () => {
    it('destroys the key and keeps a tombstone; again, it changes nothing', () => {
      const student = newStudentKey();
      store.ensureDataKey(student);
      expect(store.destroy(student, new Date('2026-03-01T08:00:00Z'))).toBe(true);
      expect(store.dataKeyOf(student)).toBe('destroyed');
      expect(store.destroy(student, new Date('2026-04-01T08:00:00Z'))).toBe(false);
      expect(store.destroyed()).toEqual([{ studentKey: student, at: new Date('2026-03-01T08:00:00Z') }]);
      expect(wrappedDataKeyIn(path, student)).toBeUndefined();
    });

    it('never makes a destroyed key again: ensureDataKey throws StudentDataErasedError, across a reopen', () => {
      const student = newStudentKey();
      store.ensureDataKey(student);
      store.destroy(student, new Date('2026-03-01T08:00:00Z'));
      store.close();
      open();
      let thrown: unknown;
      try {
        store.ensureDataKey(student);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(StudentDataErasedError);
      expect(thrown).toMatchObject({ code: 'STUDENT_DATA_ERASED', kind: 'conflict', studentKey: student, erasedAt: new Date('2026-03-01T08:00:00Z') });
      expect(store.dataKeyOf(student)).toBe('destroyed');
    });

    it('tombstones a key that was never made, so that it is never made later', () => {
      const student = newStudentKey();
      expect(store.destroy(student, new Date())).toBe(false);
      expect(() => store.ensureDataKey(student)).toThrow(StudentDataErasedError);
    });

    it('leaves no byte of the destroyed keys, plain or wrapped, in any file of the key directory; the others stay', () => {
      // Enough students for the tables to span many pages (splits, rebalancing), destroyed here and there.
      const students = Array.from({ length: 400 }, newStudentKey);
      const keys = new Map(students.map((student) => [student, store.ensureDataKey(student)]));
      const wrapped = new Map(students.map((student) => [student, wrappedDataKeyIn(path, student)!]));
      const erased = students.filter((_, i) => i % 7 === 3);
      for (const student of erased) expect(store.destroy(student, new Date())).toBe(true);

      const leftovers = () => erased.flatMap((student) => [...filesHolding(dir, keys.get(student)!), ...filesHolding(dir, wrapped.get(student)!)]);
      expect(leftovers()).toEqual([]); // open
      store.close();
      expect(leftovers()).toEqual([]); // closed
      // The search finds what is there: a kept student's wrapped key.
      const kept = students.find((student) => !erased.includes(student))!;
      expect(filesHolding(dir, wrapped.get(kept)!)).toEqual(['keys/student-keys.sqlite']);
      open();
      expect((store.dataKeyOf(kept) as Buffer).equals(keys.get(kept)!)).toBe(true);
    });

    it('with scrubLater, leaves the VACUUM of many erasures to one scrub(): pending until then, and no byte of the keys left after', () => {
      const students = Array.from({ length: 200 }, newStudentKey);
      const keys = new Map(students.map((student) => [student, store.ensureDataKey(student)]));
      const erased = students.filter((_, i) => i % 5 === 1);
      for (const student of erased) store.destroy(student, new Date(), { scrubLater: true });
      const pending = () => {
        const db = new Database(path, { readonly: true });
        try {
          return db.prepare('SELECT COUNT(*) AS n FROM scrub_pending').get() as { n: number };
        } finally {
          db.close();
        }
      };
      expect(pending().n).toBe(1);
      for (const student of erased) expect(store.dataKeyOf(student)).toBe('destroyed');
      store.scrub();
      expect(pending().n).toBe(0);
      expect(erased.flatMap((student) => filesHolding(dir, keys.get(student)!))).toEqual([]);
    });

    it('runs, when next opened, the VACUUM an erasure left undone (a crash right after it committed)', () => {
      const student = newStudentKey();
      store.ensureDataKey(student);
      const wrapped = wrappedDataKeyIn(path, student)!;
      store.close();
      // The erasure's transaction as it commits, but on a connection that does not zero what it deletes, and no VACUUM after.
      const db = new Database(path);
      db.pragma('secure_delete = OFF');
      db.transaction(() => {
        db.prepare('DELETE FROM student_data_keys WHERE student_key = ?').run(student);
        db.prepare('INSERT INTO erased_students (student_key, erased_at) VALUES (?, ?)').run(student, new Date().toISOString());
        db.prepare('INSERT INTO scrub_pending (pending) VALUES (1)').run();
      })();
      db.close();
      expect(filesHolding(dir, wrapped)).toEqual(['keys/student-keys.sqlite']);
      open();
      expect(filesHolding(dir, wrapped)).toEqual([]);
      expect(store.dataKeyOf(student)).toBe('destroyed');
    });
  });

  describe('shredAll (at start, with the students the log says were erased)', () => {
    it('destroys again a key a backup from before the erasure brought back', () => {
      const [student, other] = [newStudentKey(), newStudentKey()];
      const key = store.ensureDataKey(student);
      store.ensureDataKey(other);
      const wrapped = wrappedDataKeyIn(path, student)!;
      const backup = join(dir, 'backup.sqlite');
      store.close();
      copyFileSync(path, backup);
      open();
      store.destroy(student, new Date('2026-03-01T08:00:00Z'));
      store.close();

      copyFileSync(backup, path); // the restore
      rmSync(backup);
      open();
      expect((store.dataKeyOf(student) as Buffer).equals(key)).toBe(true); // the backup did bring it back
      expect(store.shredAll([student], new Date('2026-05-01T00:00:00Z'))).toEqual([student]);
      expect(store.dataKeyOf(student)).toBe('destroyed');
      expect(store.destroyed()).toEqual([{ studentKey: student, at: new Date('2026-05-01T00:00:00Z') }]);
      expect(() => store.ensureDataKey(student)).toThrow(StudentDataErasedError);
      expect(store.dataKeyOf(other)).toBeInstanceOf(Buffer);
      expect([...filesHolding(dir, key), ...filesHolding(dir, wrapped)]).toEqual([]);
    });

    it('changes nothing for keys already destroyed, and tombstones unknown ones', () => {
      const [destroyed, unknown] = [newStudentKey(), newStudentKey()];
      store.ensureDataKey(destroyed);
      store.destroy(destroyed, new Date('2026-03-01T08:00:00Z'));
      expect(store.shredAll([destroyed, unknown], new Date('2026-05-01T00:00:00Z'))).toEqual([]);
      expect(store.destroyed()).toEqual([
        { studentKey: destroyed, at: new Date('2026-03-01T08:00:00Z') },
        { studentKey: unknown, at: new Date('2026-05-01T00:00:00Z') },
      ]);
    });
  });

  describe('blindIndex', () => {
    it('is deterministic in a ledger (across a reopen), different per kind and per value, not the identifier', () => {
      const index = store.blindIndex('residentId', '110101200501011234');
      expect(index).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(index).not.toContain('110101200501011234');
      expect(store.blindIndex('studentNumber', '110101200501011234')).not.toBe(index);
      expect(store.blindIndex('residentId', '110101200501011242')).not.toBe(index);
      store.close();
      open();
      expect(store.blindIndex('residentId', '110101200501011234')).toBe(index);
    });

    it('differs from one ledger to the next (its key is random, made once per store)', () => {
      const otherLedger = StudentKeyStore.open(join(dir, 'other', 'student-keys.sqlite'), kek);
      try {
        expect(otherLedger.blindIndex('residentId', '110101200501011234')).not.toBe(store.blindIndex('residentId', '110101200501011234'));
      } finally {
        otherLedger.close();
      }
    });

    it('refuses an unknown kind and an empty value', () => {
      expect(() => store.blindIndex('bankCard' as never, '6222020200112233445')).toThrow('unknown identifier kind: bankCard');
      expect(() => store.blindIndex('residentId', '')).toThrow(TypeError);
    });
  });

  describe('read-only', () => {
    it('reads keys, tombstones, the blind index and the identity index of an existing store, and writes nothing', () => {
      const [kept, erased] = [newStudentKey(), newStudentKey()];
      const key = store.ensureDataKey(kept);
      store.identityIndex.restore(kept, [{ kind: 'residentId', value: '110101200501011234' }]);
      store.destroy(erased, new Date('2026-03-01T08:00:00Z'));
      const index = store.blindIndex('residentId', '110101200501011234');
      store.close();
      const before = statSync(path).mtimeMs;

      store = StudentKeyStore.open(path, kek, { readonly: true });
      expect(store.readonly).toBe(true);
      expect((store.dataKeyOf(kept) as Buffer).equals(key)).toBe(true);
      expect(store.dataKeyOf(erased)).toBe('destroyed');
      expect(store.blindIndex('residentId', '110101200501011234')).toBe(index);
      expect(store.identityIndex.lookup([{ kind: 'residentId', value: '110101200501011234' }])).toEqual({ studentKey: kept });
      expect(() => store.ensureDataKey(newStudentKey())).toThrow(/readonly/);
      expect(() => store.destroy(kept, new Date())).toThrow(/readonly/);
      expect(statSync(path).mtimeMs).toBe(before);
    });

    it('does not make a store that is not there', () => {
      const missing = join(dir, 'nowhere', 'student-keys.sqlite');
      expect(() => StudentKeyStore.open(missing, kek, { readonly: true })).toThrow();
      expect(() => statSync(join(dir, 'nowhere'))).toThrow();
    });
  });

  describe('with another key-encryption key', () => {
    it('does not open, naming both keys', () => {
      store.close();
      const other = FileKeyEncryptionKey.openOrCreate(join(dir, 'kek', 'another.key'));
      expect(() => StudentKeyStore.open(path, other)).toThrow(KeyStoreKeyMismatchError);
      expect(() => StudentKeyStore.open(path, other)).toThrow(`${path}: its keys are wrapped by key-encryption key ${kek.id}, not by ${other.id} (the key given)`);
      open();
    });

    it('cannot unwrap even under the same id: a key file replaced by one of another key', () => {
      const student = newStudentKey();
      store.ensureDataKey(student);
      store.close();
      // A port that claims the store's key id but holds another key: the unwrap itself refuses.
      const other = FileKeyEncryptionKey.openOrCreate(join(dir, 'kek', 'another.key'));
      const lying = { id: kek.id, wrap: (plain: Buffer, context: string) => other.wrap(plain, context), unwrap: (wrapped: Buffer, context: string) => other.unwrap(wrapped, context) };
      expect(() => StudentKeyStore.open(path, lying)).toThrow(KeyUnwrapError);
      open();
    });
  });
});

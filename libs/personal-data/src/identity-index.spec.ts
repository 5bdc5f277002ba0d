import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StudentDataErasedError } from './errors';
import { Identifier } from './identity-index';
import { FileKeyEncryptionKey } from './key-encryption-key';
import { isStudentKey, newStudentKey } from './student-key';
import { StudentKeyStore, studentKeyStorePath } from './student-key-store';
import { filesHolding, identityRowIn, leftoversIn, wrappedDataKeyIn } from './testing/key-dir';
import { raceStudent } from './testing/race-students';

const residentId = (value: string): Identifier => ({ kind: 'residentId', value });
const studentNumber = (value: string): Identifier => ({ kind: 'studentNumber', value });
const ID_A = '110101200501011234';
const ID_B = '110101200602023456';
const NUMBER_A = `G${ID_A}`;
const NUMBER_B = `J${ID_B}`;

describe('IdentityIndex', () => {
  let dir: string;
  let kekPath: string;
  let path: string;
  let store: StudentKeyStore;
  const open = () => (store = StudentKeyStore.open(path, FileKeyEncryptionKey.openOrCreate(kekPath)));
  const index = () => store.identityIndex;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-identity-'));
    kekPath = join(dir, 'key-encryption.key');
    path = studentKeyStorePath(join(dir, 'keys'));
    open();
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('place', () => {
    it('gives a student named for the first time a new opaque key, linking every identifier', () => {
      const placed = index().place([residentId(ID_A), studentNumber(NUMBER_A)]);
      expect(placed).toEqual({ studentKey: expect.any(String), isNew: true, linked: [residentId(ID_A), studentNumber(NUMBER_A)] });
      const { studentKey } = placed as { studentKey: string };
      expect(isStudentKey(studentKey)).toBe(true);
      expect(store.dataKeyOf(studentKey)).toBeInstanceOf(Buffer);
    });

    it('finds the student again by any identifier, and links a new one to them', () => {
      const { studentKey } = index().place([residentId(ID_A)]) as { studentKey: string };
      expect(index().place([residentId(ID_A)])).toEqual({ studentKey, isNew: false, linked: [] });
      expect(index().place([studentNumber(NUMBER_A), residentId(ID_A)])).toEqual({ studentKey, isNew: false, linked: [studentNumber(NUMBER_A)] });
      expect(index().place([studentNumber(NUMBER_A)])).toEqual({ studentKey, isNew: false, linked: [] });
      store.close();
      open();
      expect(index().place([studentNumber(NUMBER_A)])).toEqual({ studentKey, isNew: false, linked: [] });
    });

    it('keeps two students apart', () => {
      const a = index().place([residentId(ID_A)]) as { studentKey: string };
      const b = index().place([residentId(ID_B)]) as { studentKey: string };
      expect(a.studentKey).not.toBe(b.studentKey);
    });

    it('names a conflict when the identifiers lead to different students, and writes nothing', () => {
      index().place([residentId(ID_A)]);
      index().place([studentNumber(NUMBER_B)]);
      expect(index().place([residentId(ID_A), studentNumber(NUMBER_B)])).toEqual({ conflict: ['residentId', 'studentNumber'] });
      expect(index().place([residentId(ID_B), studentNumber(NUMBER_A), residentId(ID_A), studentNumber(NUMBER_B)])).toEqual({ conflict: ['residentId', 'studentNumber'] });
      expect(index().lookup([residentId(ID_B)])).toBeUndefined();
      expect(index().lookup([studentNumber(NUMBER_A)])).toBeUndefined();
    });

    it('takes an identifier named twice once', () => {
      const placed = index().place([residentId(ID_A), residentId(ID_A)]);
      expect(placed).toMatchObject({ isNew: true, linked: [residentId(ID_A)] });
    });

    it('refuses no identifier, an unknown kind or an empty value', () => {
      expect(() => index().place([])).toThrow('name a student by at least one identifier');
      expect(() => index().place([{ kind: 'name' as never, value: '张三' }])).toThrow('unknown identifier kind: name');
      expect(() => index().place([residentId('')])).toThrow(TypeError);
    });

    it('holds the identifiers only sealed, under their blind index: no file holds one in the clear', () => {
      index().place([residentId(ID_A), studentNumber(NUMBER_A)]);
      expect(filesHolding(dir, ID_A)).toEqual([]);
      expect(filesHolding(dir, NUMBER_A)).toEqual([]);
      const row = identityRowIn(path, store.blindIndex('residentId', ID_A))!;
      expect(row.sealed).toMatch(/^sealed:v1:/);
    });
  });

  describe('lookup', () => {
    it('finds a placed student by any identifier, and makes nothing for an unknown one', () => {
      const { studentKey } = index().place([residentId(ID_A), studentNumber(NUMBER_A)]) as { studentKey: string };
      expect(index().lookup([studentNumber(NUMBER_A)])).toEqual({ studentKey });
      expect(index().lookup([residentId(ID_A), studentNumber(NUMBER_B)])).toEqual({ studentKey });
      expect(index().lookup([studentNumber(NUMBER_B)])).toBeUndefined();
      // The lookup linked nothing: NUMBER_B is new to place, and may still go to another student.
      expect(index().place([studentNumber(NUMBER_B)])).toMatchObject({ isNew: true });
      expect(index().lookup([residentId(ID_A), studentNumber(NUMBER_B)])).toEqual({ conflict: ['residentId', 'studentNumber'] });
    });
  });

  describe('identifiersOf', () => {
    it('opens the identifiers held for a student, and none of another', () => {
      const { studentKey } = index().place([studentNumber(NUMBER_A), residentId(ID_A)]) as { studentKey: string };
      index().place([residentId(ID_B)]);
      expect(index().identifiersOf(studentKey)).toEqual([residentId(ID_A), studentNumber(NUMBER_A)]);
      expect(index().identifiersOf(newStudentKey())).toEqual([]);
    });

    it('refuses a sealed identifier moved to another student\'s row', () => {
      const a = index().place([residentId(ID_A)]) as { studentKey: string };
      index().place([residentId(ID_B)]);
      store.close();
      const db = new Database(path);
      db.prepare('UPDATE identity_index SET student_key = ? WHERE student_key != ?').run(a.studentKey, a.studentKey);
      db.close();
      open();
      expect(() => index().identifiersOf(a.studentKey)).toThrow('a sealed value does not open');
    });
  });

  describe('erase', () => {
    it('deletes the rows and destroys the data key: nothing is found or opened again, and a new placement is a new student', () => {
      const { studentKey } = index().place([residentId(ID_A), studentNumber(NUMBER_A)]) as { studentKey: string };
      expect(index().erase(studentKey, new Date('2026-03-01T08:00:00Z'))).toBe(true);
      expect(index().identifiersOf(studentKey)).toEqual([]);
      expect(index().lookup([residentId(ID_A)])).toBeUndefined();
      expect(store.dataKeyOf(studentKey)).toBe('destroyed');
      expect(index().erase(studentKey, new Date())).toBe(false);
      const again = index().place([residentId(ID_A)]) as { studentKey: string; isNew: boolean };
      expect(again.isNew).toBe(true);
      expect(again.studentKey).not.toBe(studentKey);
    });

    /** What a file could still hold of a student: data key, its wrap, and per identifier the value (as text, digits, UTF-16), its row's blind index and seal. */
    const tracesOf = (studentKey: string, identifiers: Identifier[]): Array<Buffer | string> => [
      store.ensureDataKey(studentKey),
      wrappedDataKeyIn(path, studentKey)!,
      ...identifiers.flatMap(({ kind, value }) => {
        const row = identityRowIn(path, store.blindIndex(kind, value))!;
        return [value, value.replace(/\D/g, ''), Buffer.from(value, 'utf16le'), row.blind, row.sealed, Buffer.from(row.sealed.slice('sealed:v1:'.length), 'base64url')];
      }),
    ];

    it('leaves no byte of the identifiers (as text or as digits), their seals, their blind index, the data key or its wrap in any file', () => {
      // A thousand students over many pages, and a run of neighbours in the index erased one after
      // another: each erasure merges pages and moves the cells of the next ones, which leaves stale
      // copies of them in pages' free space — secure_delete does not zero those; the VACUUM after
      // each erasure does. (Without it, this finds leftovers nine times in ten.)
      const placed = Array.from({ length: 1000 }, (_, i) => raceStudent(i)).map((identifiers) => ({ identifiers, ...(index().place(identifiers) as { studentKey: string }) }));
      const inIndexOrder = placed.map((student) => ({ ...student, blind: store.blindIndex('residentId', student.identifiers[0].value) })).sort((a, b) => (a.blind < b.blind ? -1 : 1));
      const erased = inIndexOrder.slice(200, 600).map(({ studentKey, identifiers }) => ({ studentKey, traces: tracesOf(studentKey, identifiers) }));
      for (const { studentKey } of erased) expect(index().erase(studentKey, new Date())).toBe(true);

      const leftovers = () => leftoversIn(dir, erased.flatMap(({ traces }) => traces));
      expect(leftovers()).toEqual([]);
      store.close();
      expect(leftovers()).toEqual([]);
      // What was kept is still there to be found.
      const [kept] = inIndexOrder;
      expect(filesHolding(dir, wrappedDataKeyIn(path, kept.studentKey)!)).toEqual(['keys/student-keys.sqlite']);
      open();
      expect(index().identifiersOf(kept.studentKey)).toEqual(kept.identifiers);
    });

    it('leaves none either when many are erased at once (shredAll: one transaction, one VACUUM)', () => {
      const placed = Array.from({ length: 400 }, (_, i) => raceStudent(i)).map((identifiers) => ({ identifiers, ...(index().place(identifiers) as { studentKey: string }) }));
      const erased = placed.filter((_, i) => i % 4 === 1).map(({ studentKey, identifiers }) => ({ studentKey, traces: tracesOf(studentKey, identifiers) }));
      expect(store.shredAll(erased.map(({ studentKey }) => studentKey))).toHaveLength(erased.length);
      expect(leftoversIn(dir, erased.flatMap(({ traces }) => traces))).toEqual([]);
      expect(index().identifiersOf(placed[0].studentKey)).toEqual(placed[0].identifiers);
    });

    it('after a key store from before the erasure is restored, shredAll erases the student again: key and identifiers', () => {
      const { studentKey } = index().place([residentId(ID_A), studentNumber(NUMBER_A)]) as { studentKey: string };
      const blind = store.blindIndex('residentId', ID_A);
      const row = identityRowIn(path, blind)!;
      store.close();
      copyFileSync(path, join(dir, 'backup.sqlite'));
      open();
      index().erase(studentKey, new Date('2026-03-01T08:00:00Z'));
      store.close();
      copyFileSync(join(dir, 'backup.sqlite'), path);
      rmSync(join(dir, 'backup.sqlite'));
      open();
      expect(index().lookup([residentId(ID_A)])).toEqual({ studentKey }); // back, until shredded again
      expect(store.shredAll([studentKey])).toEqual([studentKey]);
      expect(index().lookup([residentId(ID_A)])).toBeUndefined();
      expect(index().identifiersOf(studentKey)).toEqual([]);
      expect([...filesHolding(dir, row.blind), ...filesHolding(dir, row.sealed)]).toEqual([]);
    });
  });

  describe('locate and fileAll (an import: located while its rows are checked, filed in one transaction before its part is written)', () => {
    it('files new students under keys of the caller\'s making, returns their data keys, and finds them after', () => {
      const located = [index().locate(residentId(ID_A)), index().locate(studentNumber(NUMBER_B))];
      expect(located.map(({ studentKey }) => studentKey)).toEqual([undefined, undefined]);
      const [a, b] = [newStudentKey(), newStudentKey()];
      const filed = index().fileAll([
        { studentKey: a, identifiers: [located[0]] },
        { studentKey: b, identifiers: [located[1]] },
      ]);
      expect('dataKeys' in filed && [...filed.dataKeys.keys()]).toEqual([a, b]);
      expect('dataKeys' in filed && filed.dataKeys.get(a)!.equals(store.dataKeyOf(a) as Buffer)).toBe(true);
      expect(index().lookup([residentId(ID_A)])).toEqual({ studentKey: a });
      expect(index().locate(studentNumber(NUMBER_B)).studentKey).toBe(b);
      expect(index().identifiersOf(b)).toEqual([studentNumber(NUMBER_B)]);
    });

    it('links a new identifier to a known student; one filed under them already is kept as it is', () => {
      const { studentKey } = index().place([residentId(ID_A)]) as { studentKey: string };
      const filed = index().fileAll([{ studentKey, identifiers: [index().locate(residentId(ID_A)), index().locate(studentNumber(NUMBER_A))] }]);
      expect('dataKeys' in filed).toBe(true);
      expect(index().identifiersOf(studentKey)).toEqual([residentId(ID_A), studentNumber(NUMBER_A)]);
    });

    it('names a conflict when an identifier was filed under another student meanwhile, and writes nothing of any placement', () => {
      const early = newStudentKey();
      const located = [index().locate(residentId(ID_A)), index().locate(studentNumber(NUMBER_A))];
      const { studentKey: other } = index().place([studentNumber(NUMBER_A)]) as { studentKey: string };
      const filed = index().fileAll([
        { studentKey: early, identifiers: [index().locate(residentId(ID_B))] },
        { studentKey: newStudentKey(), identifiers: located },
      ]);
      expect(filed).toEqual({ conflict: ['studentNumber'] });
      expect(index().lookup([residentId(ID_A)])).toBeUndefined();
      expect(index().lookup([residentId(ID_B)])).toBeUndefined();
      expect(store.dataKeyOf(early)).toBeUndefined();
      expect(index().lookup([studentNumber(NUMBER_A)])).toEqual({ studentKey: other });
    });
  });

  describe('restore (rebuilding the index from the identifiers sealed in the log)', () => {
    it('links identifiers to a known key; again, it links nothing', () => {
      const studentKey = newStudentKey();
      expect(index().restore(studentKey, [residentId(ID_A), studentNumber(NUMBER_A)])).toEqual({ linked: [residentId(ID_A), studentNumber(NUMBER_A)] });
      expect(index().restore(studentKey, [residentId(ID_A)])).toEqual({ linked: [] });
      expect(index().lookup([studentNumber(NUMBER_A)])).toEqual({ studentKey });
      expect(index().identifiersOf(studentKey)).toEqual([residentId(ID_A), studentNumber(NUMBER_A)]);
    });

    it('names a conflict for an identifier linked to another student, writing nothing', () => {
      const { studentKey } = index().place([residentId(ID_A)]) as { studentKey: string };
      const other = newStudentKey();
      expect(index().restore(other, [studentNumber(NUMBER_B), residentId(ID_A)])).toEqual({ conflict: ['residentId'] });
      expect(index().lookup([studentNumber(NUMBER_B)])).toBeUndefined();
      expect(index().lookup([residentId(ID_A)])).toEqual({ studentKey });
    });

    it('refuses an erased student', () => {
      const studentKey = newStudentKey();
      store.destroy(studentKey, new Date());
      expect(() => index().restore(studentKey, [residentId(ID_A)])).toThrow(StudentDataErasedError);
      expect(index().lookup([residentId(ID_A)])).toBeUndefined();
    });
  });

  describe('two processes placing the same new students at once', () => {
    const STUDENTS = 100;

    const racer = (storePath: string, direction: 'up' | 'down') => {
      const child = spawn(
        process.execPath,
        ['-r', join(__dirname, '../../../test/support/register-ts.js'), join(__dirname, 'testing/place-students.ts'), storePath, kekPath, String(STUDENTS), direction],
        { stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let output = '';
      let errors = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (errors += chunk));
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout.on('data', () => output.startsWith('ready\n') && resolve());
        child.once('exit', () => reject(new Error(`racer ${direction} exited before it was ready: ${errors}`)));
      });
      const done = new Promise<string[][]>((resolve, reject) =>
        child.once('close', (code) => (code === 0 ? resolve(output.trim().split('\n').slice(1).map((line) => line.split(' '))) : reject(new Error(`racer ${direction} failed: ${errors}`)))),
      );
      return { child, ready, done };
    };

    /** One race on a new key store: every student ends with one key; returns how many the upward racer made. */
    const raceOnce = async (round: number): Promise<number> => {
      const storePath = join(dir, `race-${round}`, 'student-keys.sqlite');
      StudentKeyStore.open(storePath, FileKeyEncryptionKey.openOrCreate(kekPath)).close(); // made before the race: the race is over students
      const [up, down] = [racer(storePath, 'up'), racer(storePath, 'down')];
      await Promise.all([up.ready, down.ready]);
      up.child.stdin.write('go\n');
      down.child.stdin.write('go\n');
      const [ups, downs] = await Promise.all([up.done, down.done]);
      const raced = StudentKeyStore.open(storePath, FileKeyEncryptionKey.openOrCreate(kekPath));
      try {
        for (let i = 0; i < STUDENTS; i++) {
          const [[, upKey, upHow], [, downKey, downHow]] = [ups[i], downs[i]];
          expect({ i, same: upKey === downKey, how: [upHow, downHow].sort() }).toEqual({ i, same: true, how: ['found', 'new'] });
          expect(raced.identityIndex.lookup(raceStudent(i))).toEqual({ studentKey: upKey });
        }
      } finally {
        raced.close();
      }
      return ups.filter(([, , how]) => how === 'new').length;
    };

    it('give each student one key: the one that placed them first made it, the other found it', async () => {
      // Both must have been first for some students, else it was no race; on a loaded machine one
      // racer may get through every student before the other starts, so it is run again (up to three times).
      const madeByUp: number[] = [];
      for (let round = 0; round < 3; round++) {
        madeByUp.push(await raceOnce(round));
        if (madeByUp[round] > 0 && madeByUp[round] < STUDENTS) break;
      }
      expect(madeByUp.some((count) => count > 0 && count < STUDENTS)).toBe(true);
    }, 120_000);
  });
});

import type Database from 'better-sqlite3';
import { openSeal, seal } from './seal';
import { assertStudentKey, newStudentKey } from './student-key';
import type { StudentKeyStore } from './student-key-store';

export const IDENTIFIER_KINDS = ['residentId', 'studentNumber'] as const;
export type IdentifierKind = (typeof IDENTIFIER_KINDS)[number];

/** An identifier a student is known by, in its canonical form (as the domain's parsers return it). */
export interface Identifier {
  kind: IdentifierKind;
  value: string;
}

/** Where identifiers placed a student: their key, whether it was made now, and the identifiers linked to it now. */
export interface Placement {
  studentKey: string;
  isNew: boolean;
  linked: Identifier[];
}

/** An identifier with its blind index, and the student the index files it under (as `locate` found it). */
export interface LocatedIdentifier {
  readonly identifier: Identifier;
  readonly blind: string;
  readonly studentKey: string | undefined;
}

/** The identifiers lead to different students: the kinds of those that lead to one. Nothing was written. */
export interface IdentifiersConflict {
  conflict: IdentifierKind[];
}

/** The authenticated context of an identifier sealed in the index: its student, kind and index row. */
const identifierAad = (studentKey: string, kind: IdentifierKind, blind: string) => `${studentKey}/identity/${kind}/${blind}`;

/**
 * Which student key each identifier belongs to, kept in the key store's file: a row per identifier,
 * found by its blind index (never by the identifier), holding the identifier only sealed with its
 * student's data key. Destroying that key (erase) deletes the student's rows in the same transaction;
 * what a copy of the file still holds is a keyed hash and a ciphertext nobody can open.
 *
 * Every write is one BEGIN IMMEDIATE transaction: two processes placing the same new student wait for
 * each other, and the second finds the key the first made.
 */
export class IdentityIndex {
  private readonly statements: ReturnType<typeof prepare>;
  /** The key store's transactions (the index lives in its file, on its connection). */
  private transactionOf<T>(work: () => T): { (): T; immediate(): T } {
    return this.keys.transactionOf(work);
  }

  /** Made by StudentKeyStore, over its connection (`keys.identityIndex`). */
  constructor(
    private readonly db: Database.Database,
    private readonly keys: StudentKeyStore,
  ) {
    this.statements = prepare(db);
  }

  /**
   * The student these identifiers name — an existing one, or a new key when none of them is known —
   * linking to it those not yet linked. A conflict when they lead to different students (nothing is
   * written then). StudentDataErasedError if they lead to an erased student (which only a key store
   * not yet shredded again can do).
   */
  place(identifiers: readonly Identifier[]): Placement | IdentifiersConflict {
    const named = this.named(identifiers);
    return this.keys.writing((): Placement | IdentifiersConflict => {
      const found = this.find(named);
      if ('conflict' in found) return found;
      const studentKey = found.studentKey ?? newStudentKey();
      const dataKey = this.keys.ensureDataKey(studentKey);
      const linked = found.unlinked.map(({ identifier, blind }) => this.insert(studentKey, dataKey, identifier, blind));
      return { studentKey, isNew: found.studentKey === undefined, linked };
    });
  }

  /** Where the index files this identifier (one read, no transaction): for a batch that files many students at once (fileAll). */
  locate(identifier: Identifier): LocatedIdentifier {
    const [{ blind }] = this.named([identifier]);
    return { identifier, blind, studentKey: this.ownerOf(blind) };
  }

  /**
   * Files each student's identifiers (as located) under their key — a key of the caller's making for
   * a new student: their data key is made now — in one transaction; returns each student's data key.
   * When one of them was filed under another key meanwhile: the kinds filed elsewhere, and nothing is
   * written. StudentDataErasedError for an erased student.
   */
  fileAll(placements: ReadonlyArray<{ studentKey: string; identifiers: readonly LocatedIdentifier[] }>): { dataKeys: Map<string, Buffer> } | IdentifiersConflict {
    const conflict = new Error('filed elsewhere meanwhile');
    let conflicting: IdentifierKind[] = [];
    const dataKeys = new Map<string, Buffer>();
    try {
      this.keys.writing(() => {
        for (const { studentKey, identifiers } of placements) {
          assertStudentKey(studentKey);
          const dataKey = this.keys.ensureDataKey(studentKey);
          dataKeys.set(studentKey, dataKey);
          for (const { identifier, blind } of identifiers) {
            // Inserted unless the index has the row already (one statement, not a read then a write): then whose it is.
            if (this.statements.insertIfAbsent.run(blind, identifier.kind, studentKey, seal(dataKey, identifier.value, identifierAad(studentKey, identifier.kind, blind))).changes > 0) continue;
            if (this.ownerOf(blind) === studentKey) continue;
            conflicting = distinctKinds(identifiers.filter((located) => ![undefined, studentKey].includes(this.ownerOf(located.blind))));
            throw conflict;
          }
        }
      });
    } catch (error) {
      if (error === conflict) return { conflict: conflicting };
      throw error;
    }
    return { dataKeys };
  }

  private insert(studentKey: string, dataKey: Buffer, identifier: Identifier, blind: string): Identifier {
    this.statements.insert.run(blind, identifier.kind, studentKey, seal(dataKey, identifier.value, identifierAad(studentKey, identifier.kind, blind)));
    return identifier;
  }

  /** The student these identifiers name, without making or linking anything: undefined when none is known. */
  lookup(identifiers: readonly Identifier[]): { studentKey: string } | IdentifiersConflict | undefined {
    const named = this.named(identifiers);
    return this.transactionOf(() => {
      const found = this.find(named);
      if ('conflict' in found) return found;
      return found.studentKey === undefined ? undefined : { studentKey: found.studentKey };
    })();
  }

  /** The identifiers the index holds for this student, opened with their data key: none once it is destroyed. */
  identifiersOf(studentKey: string): Identifier[] {
    assertStudentKey(studentKey);
    return this.transactionOf(() => {
      const dataKey = this.keys.dataKeyOf(studentKey);
      if (!Buffer.isBuffer(dataKey)) return [];
      const rows = this.statements.ofStudent.all(studentKey) as Array<{ blind: string; kind: IdentifierKind; sealed: string }>;
      return rows
        .map(({ blind, kind, sealed }) => ({ kind, value: openSeal(dataKey, sealed, identifierAad(studentKey, kind, blind)) }))
        .sort((a, b) => (a.kind === b.kind ? (a.value < b.value ? -1 : a.value > b.value ? 1 : 0) : a.kind < b.kind ? -1 : 1));
    })();
  }

  /** Erasure: the student's index rows deleted and their data key destroyed, in one transaction (StudentKeyStore.destroy). */
  erase(studentKey: string, at: Date, options: { scrubLater?: boolean } = {}): boolean {
    return this.keys.destroy(studentKey, at, options);
  }

  /**
   * Links identifiers to a known student key — to rebuild the index from the identifiers sealed in
   * the log. Already linked to this student: nothing to do; linked to another: a conflict (nothing is
   * written). StudentDataErasedError for an erased student.
   */
  restore(studentKey: string, identifiers: readonly Identifier[]): { linked: Identifier[] } | IdentifiersConflict {
    assertStudentKey(studentKey);
    const named = this.named(identifiers);
    return this.keys.writing((): { linked: Identifier[] } | IdentifiersConflict => {
      const rows = named.map(({ identifier, blind }) => ({ identifier, blind, owner: this.ownerOf(blind) }));
      const elsewhere = rows.filter(({ owner }) => owner !== undefined && owner !== studentKey);
      if (elsewhere.length) return { conflict: distinctKinds(rows.filter(({ owner }) => owner !== undefined)) };
      const dataKey = this.keys.ensureDataKey(studentKey);
      const linked = rows.filter(({ owner }) => owner === undefined).map(({ identifier, blind }) => this.insert(studentKey, dataKey, identifier, blind));
      return { linked };
    });
  }

  /** The identifiers, each once, with their blind index. */
  private named(identifiers: readonly Identifier[]): Array<{ identifier: Identifier; blind: string }> {
    if (!Array.isArray(identifiers) || identifiers.length === 0) throw new TypeError('name a student by at least one identifier');
    const byBlind = new Map<string, Identifier>();
    for (const { kind, value } of identifiers) byBlind.set(this.keys.blindIndex(kind, value), { kind, value });
    return [...byBlind].map(([blind, identifier]) => ({ identifier, blind }));
  }

  private ownerOf(blind: string): string | undefined {
    return (this.statements.owner.get(blind) as { student_key: string } | undefined)?.student_key;
  }

  private find(named: Array<{ identifier: Identifier; blind: string }>): { studentKey?: string; unlinked: Array<{ identifier: Identifier; blind: string }> } | IdentifiersConflict {
    const rows = named.map((entry) => ({ ...entry, owner: this.ownerOf(entry.blind) }));
    const owners = new Set(rows.flatMap(({ owner }) => (owner === undefined ? [] : [owner])));
    if (owners.size > 1) return { conflict: distinctKinds(rows.filter(({ owner }) => owner !== undefined)) };
    return { studentKey: [...owners][0], unlinked: rows.filter(({ owner }) => owner === undefined) };
  }
}

function distinctKinds(rows: Array<{ identifier: Identifier }>): IdentifierKind[] {
  return [...new Set(rows.map(({ identifier }) => identifier.kind))];
}

function prepare(db: Database.Database) {
  return {
    owner: db.prepare('SELECT student_key FROM identity_index WHERE blind = ?'),
    ofStudent: db.prepare('SELECT blind, kind, sealed FROM identity_index WHERE student_key = ?'),
    insert: db.prepare('INSERT INTO identity_index (blind, kind, student_key, sealed) VALUES (?, ?, ?, ?)'),
    insertIfAbsent: db.prepare('INSERT INTO identity_index (blind, kind, student_key, sealed) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
  };
}

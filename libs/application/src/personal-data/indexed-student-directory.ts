import { StudentIdentifiersConflict, StudentRecordInClear, StudentIdentity, beneficiaryStreamId, identifiersOf } from '@ledger/domain';
import { EventStore, StoredEvent } from '@ledger/event-store';
import { type Identifier, type IdentityIndex, type LocatedIdentifier, newStudentKey } from '@ledger/personal-data';
import type { StudentDirectory, StudentDirectoryBatch, StudentRecordPlacement } from '../student-directory';

type IndexedIdentifier = Identifier;

/** What the directory needs of the identity index (kept outside the log, identifiers only sealed). */
export interface StudentIdentifierIndex {
  /** Places in one transaction of the key store (shared with the other placements of the moment). */
  place(identifiers: IndexedIdentifier[]): Promise<ReturnType<IdentityIndex['place']>>;
  lookup: IdentityIndex['lookup'];
  /** A new student's identifiers filed under a key made for them, just before their first write: false when filed under another meanwhile. */
  file(studentKey: string, identifiers: IndexedIdentifier[]): Promise<boolean>;
  /** Where the index files an identifier now (one read; an import locates what it defers). */
  locate(identifier: IndexedIdentifier): LocatedIdentifier;
  /** An import's new student, under a key of its own making, written to the index before the part that holds them. */
  defer(studentKey: string, identifiers: LocatedIdentifier[]): void;
  discardDeferred(): void;
  readonly readonly?: boolean;
}

/** The identifiers a request names, as the index keeps them (a G number and the ID it holds are one). */
export const indexedOf = (student: StudentIdentity): IndexedIdentifier[] =>
  identifiersOf(student).map(({ key }) => ({ kind: /^[GJL]/i.test(key) ? 'studentNumber' : 'residentId', value: key }));

function refused(student: StudentIdentity, kinds: Array<IndexedIdentifier['kind']>, field: string): never {
  const at = (name: string) => (field ? `${field}.${name}` : name);
  const fields = identifiersOf(student)
    .filter(({ key }) => kinds.includes(/^[GJL]/i.test(key) ? 'studentNumber' : 'residentId'))
    .map(({ field: named }) => at(named));
  throw new StudentIdentifiersConflict(
    `${fields.join(' and ')} lead to two different students' records, so these cannot both be this student's identifiers; correct the request (the ledger does not merge records)`,
    fields,
  );
}

/**
 * The student directory over the identity index: a student's record is the stream
 * `beneficiary-<opaque key>`, the key given by the index when the student is first named. No stream
 * name, and no event, holds an identifier in clear; the index holds them sealed and finds them by a
 * keyed hash. A student already filed under a key of their own (a request naming the record by its
 * key, as a reversal found by its payment's id does) is placed there directly.
 */
export class IndexedStudentDirectory implements StudentDirectory {
  constructor(
    private readonly store: EventStore,
    private readonly index: StudentIdentifierIndex,
  ) {}

  /** Keys given in this process to students a read-only index does not know (a dry run's): never stored. */
  private readonly provisional = new Map<string, string>();

  /**
   * The key of the record the student's identifiers lead to. `assign`: for a student the index does
   * not know, `now` places them (one transaction, identifiers not yet linked linked); `deferred` (an
   * import) gives them a key of this batch's, written to the index before the part that holds them.
   */
  private async keyOf(student: StudentIdentity, field: string, assign: false | 'now' | 'deferred'): Promise<string | undefined> {
    return (await this.placementOf(student, field, assign)).key;
  }

  /** The key, and for a known student named beside identifiers not yet linked, the linking to do once the write is recorded. */
  private async placementOf(
    student: StudentIdentity,
    field: string,
    assign: false | 'now' | 'deferred',
  ): Promise<{ key: string | undefined; link?: () => Promise<void>; file?: () => Promise<boolean> }> {
    const named = indexedOf(student);
    if (named.length === 0) return { key: student.key };
    if (assign === 'deferred' || (assign === 'now' && this.index.readonly)) return { key: (await this.batchKeyOf(student, named, field)).key };
    const known = this.index.lookup(named);
    if (known && 'conflict' in known) refused(student, known.conflict, field);
    if (!assign) return { key: known?.studentKey };
    if (known) {
      const unlinked = named.filter((identifier) => this.index.lookup([identifier]) === undefined);
      if (unlinked.length === 0) return { key: known.studentKey };
      // Linked only once the write is recorded: a refused request (a duplicate, say) must not tie a
      // mistyped identifier to this record.
      return {
        key: known.studentKey,
        link: async () => {
          await this.index.place(named);
        },
      };
    }
    // A student the index does not know: never one a ledger written before the key store filed under
    // the identifier itself (that record would be split in two, its payments unseen by the rules).
    await this.refuseRecordsInClear(named);
    // A key of their own, filed in the index only just before their first write is appended (nothing
    // is kept of a child whose write is refused). Two writers filing one new student: the index takes
    // the first; the other decides again on the record it leads to.
    const key = newStudentKey();
    return { key, file: () => this.index.file(key, named) };
  }

  /** An import's (or a dry run's) placement: the index as it is, and this batch's own keys for what it does not know (`minted`: a key made now, whose record is empty). */
  private async batchKeyOf(student: StudentIdentity, named: IndexedIdentifier[], field: string): Promise<{ key: string; minted: boolean }> {
    const mark = ({ kind, value }: IndexedIdentifier) => `${kind}:${value}`;
    const leads = named.map((identifier): { key: string | undefined; located?: LocatedIdentifier } => {
      const batchKey = this.provisional.get(mark(identifier));
      if (batchKey) return { key: batchKey };
      const located = this.index.locate(identifier);
      return { key: located.studentKey, located };
    });
    const keys = [...new Set(leads.flatMap(({ key }) => (key === undefined ? [] : [key])))];
    if (keys.length > 1) refused(student, named.filter((_, i) => leads[i].key !== undefined).map(({ kind }) => kind), field);
    if (keys.length === 0) await this.refuseRecordsInClear(named);
    const key = keys[0] ?? newStudentKey();
    const unlinked = leads.flatMap(({ key: lead, located }) => (lead === undefined && located ? [located] : []));
    for (const { identifier } of unlinked) this.provisional.set(mark(identifier), key);
    if (!this.index.readonly && unlinked.length > 0) this.index.defer(key, unlinked);
    return { key, minted: keys.length === 0 };
  }

  private async refuseRecordsInClear(named: IndexedIdentifier[]): Promise<void> {
    for (const { value } of named) {
      if ((await this.store.readStream(beneficiaryStreamId(value))).length > 0) {
        throw new StudentRecordInClear(
          '该学生的记录写于密钥库之前，以明文身份证件号存档：须先用 migrate 迁移为加密形式，才能再写入 / this student has a record written before the key store, filed under the identifier in clear: the ledger must be migrated to the encrypted form (`migrate`) before it is written to again',
          'student',
        );
      }
    }
  }

  async place(student: StudentIdentity): Promise<StudentRecordPlacement> {
    const { key, link, file } = await this.placementOf(student, 'student', 'now');
    const streamId = beneficiaryStreamId(key!);
    return {
      student: { ...student, key: key! },
      streamId,
      stored: file ? [] : await this.store.readStream(streamId),
      links: [],
      ...(link && { linkAfterRecorded: link }),
      ...(file && { fileBeforeAppend: file }),
    };
  }

  async recordKeyOf(student: StudentIdentity, field = 'student'): Promise<string | undefined> {
    return this.keyOf(student, field, false);
  }

  batch(): StudentDirectoryBatch {
    this.index.discardDeferred();
    this.provisional.clear();
    const seen = new Set<string>();
    return {
      place: async (student) => {
        const named = indexedOf(student);
        const { key, minted } = named.length === 0 ? { key: student.key, minted: false } : await this.batchKeyOf(student, named, 'student');
        const streamId = beneficiaryStreamId(key);
        const placed = { student: { ...student, key }, streamId };
        if (seen.has(key)) return placed;
        seen.add(key);
        // A key made for this batch names a record nobody has written to yet.
        const stored: StoredEvent[] = minted ? [] : await this.store.readStream(streamId);
        return { ...placed, stored };
      },
      links: () => [],
    };
  }
}

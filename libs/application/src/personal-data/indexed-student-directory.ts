import { StudentIdentifiersConflict, StudentRecordInClear, StudentIdentity, beneficiaryStreamId, identifiersOf } from '@ledger/domain';
import { EventStore, StoredEvent } from '@ledger/event-store';
import { type Identifier, type IdentityIndex, newStudentKey } from '@ledger/personal-data';
import type { StudentDirectory, StudentDirectoryBatch, StudentRecordPlacement } from '../student-directory';

type IndexedIdentifier = Identifier;

/** What the directory needs of the identity index (kept outside the log, identifiers only sealed). */
export type StudentIdentifierIndex = Pick<IdentityIndex, 'place' | 'lookup'> & { readonly readonly?: boolean };

/** The identifiers a request names, as the index keeps them (a G number and the ID it holds are one). */
const indexedOf = (student: StudentIdentity): IndexedIdentifier[] =>
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

  private async keyOf(student: StudentIdentity, field: string, assign: boolean): Promise<string | undefined> {
    const named = indexedOf(student);
    if (named.length === 0) return student.key;
    const known = this.index.lookup(named);
    if (known && 'conflict' in known) refused(student, known.conflict, field);
    if (known || !assign) return known?.studentKey;
    // A student the index does not know: never one a ledger written before the key store filed under
    // the identifier itself (that record would be split in two, its payments unseen by the rules).
    await this.refuseRecordsInClear(named);
    if (!this.index.readonly) {
      const placed = this.index.place(named);
      if ('conflict' in placed) refused(student, placed.conflict, field);
      return placed.studentKey;
    }
    // A dry run on a read-only key store: the student is new; one key for them for this run, stored nowhere.
    const seen = named.map(({ kind, value }) => this.provisional.get(`${kind}:${value}`)).find((key) => key !== undefined);
    const key = seen ?? newStudentKey();
    for (const { kind, value } of named) this.provisional.set(`${kind}:${value}`, key);
    return key;
  }

  private async refuseRecordsInClear(named: IndexedIdentifier[]): Promise<void> {
    for (const { value } of named) {
      if ((await this.store.readStream(beneficiaryStreamId(value))).length > 0) {
        throw new StudentRecordInClear(
          'this student has a record written before the key store, filed under the identifier in clear: the ledger must be migrated to the encrypted form before it is written to again',
          'student',
        );
      }
    }
  }

  async place(student: StudentIdentity): Promise<StudentRecordPlacement> {
    const key = (await this.keyOf(student, 'student', true))!;
    const streamId = beneficiaryStreamId(key);
    return { student: { ...student, key }, streamId, stored: await this.store.readStream(streamId), links: [] };
  }

  async recordKeyOf(student: StudentIdentity, field = 'student'): Promise<string | undefined> {
    return this.keyOf(student, field, false);
  }

  batch(): StudentDirectoryBatch {
    const seen = new Set<string>();
    return {
      place: async (student) => {
        const key = (await this.keyOf(student, 'student', true))!;
        const streamId = beneficiaryStreamId(key);
        const placed = { student: { ...student, key }, streamId };
        if (seen.has(key)) return placed;
        seen.add(key);
        const stored: StoredEvent[] = await this.store.readStream(streamId);
        return { ...placed, stored };
      },
      links: () => [],
    };
  }
}

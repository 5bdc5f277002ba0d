import {
  IdentifierStanding,
  StudentIdentifierLinked,
  StudentIdentity,
  beneficiaryStreamId,
  currentEventOf,
  identifiersOf,
  placeStudent,
} from '@ledger/domain';
import { EventStore, StoredEvent } from '@ledger/event-store';
import { IndexedStudentDirectory, StudentIdentifierIndex } from './personal-data/indexed-student-directory';
import type { PersonalDataVault } from './personal-data/personal-data-vault';

/** Where a request naming a student lands. */
export interface StudentRecordPlacement {
  /** The student as named, `key` being the record's. */
  student: StudentIdentity;
  /** The record's stream. */
  streamId: string;
  /** The record's events as read to place the request (none for a new record). */
  stored: StoredEvent[];
  /** Identifiers to link to the record with the first event recorded there, each into its own stream, which must not exist yet. */
  links: Array<{ streamId: string; event: StudentIdentifierLinked }>;
  /** Identifiers named for the first time beside a known one: linked once the command's events are recorded (a refused request links nothing). */
  linkAfterRecorded?: () => Promise<void>;
  /** A new student: filed in the identity index just before their first events are appended; false when another writer filed them first (decide again). */
  fileBeforeAppend?: () => Promise<boolean>;
}

/** Placements for many requests decided together and appended at once (an import). */
export interface StudentDirectoryBatch {
  /** As StudentDirectory.place, seeing the records and links of the batch's earlier placements. `stored`: only the first time a record comes up. */
  place(student: StudentIdentity): Promise<{ student: StudentIdentity; streamId: string; stored?: StoredEvent[] }>;
  /** Every link the batch's placements need, each to a stream that must not exist yet. */
  links(): ReadonlyArray<{ streamId: string; event: StudentIdentifierLinked }>;
}

/**
 * Which record a student is filed under, by any identifier they are known by. Every path that finds a
 * student's record goes through this one interface — commands, imports, the demo seeding, the history
 * route — so how identifiers map to streams is decided here alone.
 */
export interface StudentDirectory {
  /** Where a request naming this student lands (StudentIdentifiersConflict when its identifiers lead to two records). */
  place(student: StudentIdentity): Promise<StudentRecordPlacement>;
  /**
   * The key of the record this student is filed under, or undefined when none of their identifiers leads to one. Reads only.
   * `field`: where the identifiers are in the request, for a StudentIdentifiersConflict ('' for query parameters).
   */
  recordKeyOf(student: StudentIdentity, field?: string): Promise<string | undefined>;
  batch(): StudentDirectoryBatch;
}

/** What a stream holds under an identifier's own key: nothing, a record, or a link to the record it belongs to. */
function standingOf(events: StoredEvent[]): IdentifierStanding {
  if (events.length === 0) return { holds: 'nothing' };
  if (events[0].type !== 'StudentIdentifierLinked') return { holds: 'record' };
  const link = currentEventOf(events[0]) as StudentIdentifierLinked;
  return { holds: 'link', recordKey: link.data.beneficiary.key };
}

/**
 * The directory kept in the event log itself: each identifier has a stream of its own
 * (`beneficiary-<identifier>`), which is the record, a link (one StudentIdentifierLinked event naming
 * the record), or nothing yet. A request that links an identifier appends to that identifier's stream
 * with `no_stream`: whatever else claims it first — a payment naming it alone, which makes it a
 * record, or another link — makes the append fail, and the command decides again on what won.
 */
class EventLogStudentDirectory implements StudentDirectory {
  constructor(private readonly store: EventStore) {}

  private async read(student: StudentIdentity) {
    const named = identifiersOf(student);
    const streams = new Map<string, StoredEvent[]>();
    await Promise.all(named.map(async ({ key }) => streams.set(key, await this.store.readStream(beneficiaryStreamId(key)))));
    return streams;
  }

  async place(student: StudentIdentity): Promise<StudentRecordPlacement> {
    const streams = await this.read(student);
    const placement = placeStudent(student, (key) => standingOf(streams.get(key)!));
    const recordKey = placement.student.key;
    const streamId = beneficiaryStreamId(recordKey);
    return {
      student: placement.student,
      streamId,
      stored: streams.get(recordKey) ?? (await this.store.readStream(streamId)),
      links: placement.links.map(({ key, event }) => ({ streamId: beneficiaryStreamId(key), event })),
    };
  }

  async recordKeyOf(student: StudentIdentity, field = 'student'): Promise<string | undefined> {
    const streams = await this.read(student);
    if ([...streams.values()].every((events) => events.length === 0)) return undefined;
    return placeStudent(student, (key) => standingOf(streams.get(key)!), field).student.key;
  }

  batch(): StudentDirectoryBatch {
    const store = this.store;
    const standings = new Map<string, IdentifierStanding>();
    const recordsSeen = new Set<string>();
    const links: Array<{ streamId: string; event: StudentIdentifierLinked }> = [];
    return {
      async place(student) {
        const named = identifiersOf(student);
        if (named.length === 1) {
          // Most rows name a student by one identifier: its record, or the record its link leads to; nothing to link.
          const [{ key }] = named;
          let read: StoredEvent[] | undefined;
          let standing = standings.get(key);
          if (!standing) standings.set(key, (standing = standingOf((read = await store.readStream(beneficiaryStreamId(key))))));
          const recordKey = standing.holds === 'link' ? standing.recordKey : key;
          if (standing.holds === 'nothing') standings.set(key, { holds: 'record' });
          const placedStudent = recordKey === student.key ? student : { ...student, key: recordKey };
          const streamId = beneficiaryStreamId(recordKey);
          if (recordsSeen.has(recordKey)) return { student: placedStudent, streamId };
          recordsSeen.add(recordKey);
          return { student: placedStudent, streamId, stored: recordKey === key && read ? read : await store.readStream(streamId) };
        }
        const justRead = new Map<string, StoredEvent[]>();
        await Promise.all(
          named
            .filter(({ key }) => !standings.has(key))
            .map(async ({ key }) => justRead.set(key, await store.readStream(beneficiaryStreamId(key)))),
        );
        for (const [key, events] of justRead) standings.set(key, standingOf(events));
        const placement = placeStudent(student, (key) => standings.get(key)!);
        const recordKey = placement.student.key;
        for (const { key, event } of placement.links) {
          standings.set(key, { holds: 'link', recordKey });
          links.push({ streamId: beneficiaryStreamId(key), event });
        }
        // A record this batch starts counts as one for the rows after it.
        if (standings.get(recordKey)?.holds !== 'record') standings.set(recordKey, { holds: 'record' });
        const streamId = beneficiaryStreamId(recordKey);
        if (recordsSeen.has(recordKey)) return { student: placement.student, streamId };
        recordsSeen.add(recordKey);
        return { student: placement.student, streamId, stored: justRead.get(recordKey) ?? (await store.readStream(streamId)) };
      },
      links: () => links,
    };
  }
}

/** The student directory over this event store, with identifiers in the log itself (a ledger without a key store: bare unit tests). */
export function studentDirectoryOn(store: EventStore): StudentDirectory {
  return new EventLogStudentDirectory(store);
}

/**
 * The directory the pipeline's ledger uses: over the identity index of its key store, so that
 * records are filed under opaque keys and no identifier is in a stream name; the identifiers' own
 * streams only where the pipeline has no key store.
 */
export function studentDirectoryOf(pipeline: { store: EventStore; vault?: PersonalDataVault }): StudentDirectory {
  const vault = pipeline.vault;
  if (!vault) return new EventLogStudentDirectory(pipeline.store);
  const index: StudentIdentifierIndex = {
    place: (ids) => vault.place(ids),
    file: (key, ids) => vault.file(key, ids),
    lookup: (ids) => vault.index.lookup(ids),
    locate: (id) => vault.locate(id),
    defer: (key, ids) => vault.defer(key, ids),
    discardDeferred: () => vault.discardDeferred(),
    readonly: vault.keys.readonly,
  };
  return new IndexedStudentDirectory(pipeline.store, index);
}

/**
 * The stream of the identifier a request names the student by (its key): where the request lands
 * unless that identifier is linked to a record filed under another. Commands naming a student the
 * same way are queued on it (the write pipeline's queue per stream).
 */
export function streamNamedBy(student: StudentIdentity): string {
  return beneficiaryStreamId(student.key);
}

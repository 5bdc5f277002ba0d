import type Database from 'better-sqlite3';
import { PERSONAL_DATA_DISCLOSURES_STREAM, currentEventOf } from '@ledger/domain';
import { StoredEvent, firstRecordedAt } from '@ledger/event-store';
import { Projection } from './projection';

/**
 * The record of processing as auditors search it: one row per disclosure of personal data, with
 * who (the event's actor, and `via` for the command line), when (its recording time) and the
 * request id, indexed by time, actor and route. Derived from the `personal-data-disclosures`
 * stream like every read model (a rebuild equals the live rows); the stream stays the record.
 */
export const personalDataDisclosuresProjection: Projection = {
  name: 'personal-data-disclosures',
  // 2: the students on legal hold a disclosure names.
  version: 2,
  tables: ['personal_data_disclosures'],
  schema: `
    CREATE TABLE IF NOT EXISTS personal_data_disclosures (
      position    INTEGER PRIMARY KEY,
      event_id    TEXT    NOT NULL,
      recorded_at TEXT    NOT NULL,
      actor_id    TEXT    NOT NULL,
      actor_role  TEXT    NOT NULL,
      via         TEXT,
      request_id  TEXT,
      route       TEXT    NOT NULL,
      path        TEXT    NOT NULL,
      format      TEXT    NOT NULL,
      records     INTEGER,
      purpose     TEXT,
      students_on_hold TEXT
    ) STRICT;
  `,
  indexes: `
    CREATE INDEX IF NOT EXISTS personal_data_disclosures_by_time ON personal_data_disclosures (recorded_at, position);
    CREATE INDEX IF NOT EXISTS personal_data_disclosures_by_actor ON personal_data_disclosures (actor_id, position);
    CREATE INDEX IF NOT EXISTS personal_data_disclosures_by_route ON personal_data_disclosures (route, position);
  `,
  prepareForEveryEvent(db: Database.Database) {
    const insert = db.prepare(`
      INSERT INTO personal_data_disclosures (position, event_id, recorded_at, actor_id, actor_role, via, request_id, route, path, format, records, purpose, students_on_hold)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    return (stored: StoredEvent) => {
      if (stored.streamId !== PERSONAL_DATA_DISCLOSURES_STREAM) return;
      const event = currentEventOf(stored);
      if (event?.type !== 'PersonalDataDisclosed') return;
      const { actor, via, causationId } = stored.metadata;
      const { route, path, format, records, purpose, studentsOnHold } = event.data;
      insert.run(
        stored.position,
        stored.eventId,
        firstRecordedAt(stored),
        actor?.id ?? 'unknown',
        actor?.role ?? 'unknown',
        via === undefined ? null : JSON.stringify(via),
        causationId ?? null,
        route,
        path,
        format,
        records ?? null,
        purpose ?? null,
        studentsOnHold === undefined ? null : JSON.stringify(studentsOnHold),
      );
    };
  },
};

/** One disclosure as the list shows it. */
export interface DisclosureRow {
  position: string;
  eventId: string;
  recordedAt: string;
  actor: { id: string; role: string; via?: unknown };
  requestId: string | null;
  route: string;
  path: string;
  format: string;
  records: number | null;
  purpose: string | null;
  /** The students on legal hold whose data the answer held (their records' keys); empty for the others. */
  studentsOnHold: string[];
}

export interface DisclosureFilter {
  /** Recorded at or after this instant (ISO 8601, UTC). */
  from?: string;
  /** Recorded before this instant (ISO 8601, UTC). */
  before?: string;
  actor?: string;
  route?: string;
  /** Only disclosures after this log position (the page before ended there). */
  afterPosition?: bigint;
  limit: number;
}

type Row = {
  position: bigint;
  event_id: string;
  recorded_at: string;
  actor_id: string;
  actor_role: string;
  via: string | null;
  request_id: string | null;
  route: string;
  path: string;
  format: string;
  records: bigint | number | null;
  purpose: string | null;
  students_on_hold: string | null;
};

/** The disclosures matching the filter, oldest first, at most `limit` of them, and whether more follow. */
export function queryDisclosures(db: Database.Database, filter: DisclosureFilter): { disclosures: DisclosureRow[]; more: boolean } {
  const where: string[] = [];
  const values: Array<string | bigint> = [];
  if (filter.from !== undefined) where.push('recorded_at >= ?'), values.push(filter.from);
  if (filter.before !== undefined) where.push('recorded_at < ?'), values.push(filter.before);
  if (filter.actor !== undefined) where.push('actor_id = ?'), values.push(filter.actor);
  if (filter.route !== undefined) where.push('route = ?'), values.push(filter.route);
  if (filter.afterPosition !== undefined) where.push('position > ?'), values.push(filter.afterPosition);
  const rows = db
    .prepare<Array<string | bigint | number>, Row>(`SELECT * FROM personal_data_disclosures ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY position LIMIT ?`)
    .safeIntegers(true)
    .all(...values, filter.limit + 1);
  return {
    disclosures: rows.slice(0, filter.limit).map((row) => ({
      position: row.position.toString(),
      eventId: row.event_id,
      recordedAt: row.recorded_at,
      actor: { id: row.actor_id, role: row.actor_role, ...(row.via !== null && { via: JSON.parse(row.via) as unknown }) },
      requestId: row.request_id,
      route: row.route,
      path: row.path,
      format: row.format,
      records: row.records === null ? null : Number(row.records),
      purpose: row.purpose,
      studentsOnHold: row.students_on_hold === null ? [] : (JSON.parse(row.students_on_hold) as string[]),
    })),
    more: rows.length > filter.limit,
  };
}

import type Database from 'better-sqlite3';
import { AidEvent, currentEventOf, isAidEventType } from '@ledger/domain';
import { EventStore, GlobalPosition, StoredEvent } from '@ledger/event-store';

/**
 * A read model kept in SQLite tables, updated one event at a time inside the runner's
 * transaction (which also moves the projection's checkpoint, so no event is counted twice or
 * skipped across a crash). `apply` must be deterministic: a rebuild from the log gives the same rows.
 */
export interface Projection {
  readonly name: string;
  /** Raise to make every store re-project this read model from the start of the log. */
  readonly version: number;
  /** DDL creating the projection's tables (idempotent). */
  readonly schema: string;
  /** Indexes for the live read models' queries (idempotent DDL); a replay's scratch file skips them. */
  readonly indexes?: string;
  /** Its tables, in the order they can be cleared. */
  readonly tables: readonly string[];
  /** Prepares statements once per connection and returns the function applied to each aid event. */
  prepare?(db: Database.Database): (event: AidEvent, stored: StoredEvent) => void;
  /** Or, for read models of the log itself: the function applied to every event, whatever its type. */
  prepareForEveryEvent?(db: Database.Database): (stored: StoredEvent) => void;
  /** For a read model of the log itself, checked at start: why its rows disagree with the log, if they do (a cheap check). */
  disagreementWith?(db: Database.Database, store: EventStore, checkpoint: GlobalPosition): Promise<string | undefined>;
  /** Before the rows of refused read models are dropped: keeps what is evidence of the log as the service saw it. */
  keepAsEvidence?(db: Database.Database, reason: string): void;
}

/** The aid event in a stored event, in its current schema version; undefined for other types (access control, digests). */
export function aidEventOf(stored: StoredEvent): AidEvent | undefined {
  if (!isAidEventType(stored.type)) return undefined;
  return currentEventOf(stored) as AidEvent;
}

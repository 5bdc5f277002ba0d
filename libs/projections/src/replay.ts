import type Database from 'better-sqlite3';
import { AidEvent, LocalDate } from '@ledger/domain';
import { EventStore, GlobalPosition, StoredEvent, firstRecordedAt, readAllPages } from '@ledger/event-store';
import { Projection, aidEventOf } from './projection';
import { ReadModels } from './read-models';

/**
 * Replays the log through the same projection code into a scratch read-model file, to answer two
 * different questions about a point in time, apart or together:
 * - **valued up to** a day: the aid whose value date is on or before it, whenever it was recorded
 *   (history imported in January for the year before counts for its own days);
 * - **as recorded by** the end of a day (China time, UTC+8) or up to a log position: the ledger as
 *   it was known then, whatever the value dates.
 * Pages stream through, so memory stays flat whatever the length of the log.
 */
export interface ReplayLimit {
  /** Last log position to include: the ledger as it was known at that position. */
  untilPosition?: GlobalPosition;
  /** Last calendar day (YYYY-MM-DD, China time) whose recorded events are included. */
  recordedBy?: string;
  /** Last value date (YYYY-MM-DD) of the aid events included; see {@link valueDateOf}. */
  valuedUpTo?: string;
}

export interface ReplayResult {
  models: ReadModels;
  /** Events read from the log within the recording limit. */
  events: number;
  /** Of those, aid events left out because they are valued after `valuedUpTo`. */
  valuedLater: number;
  lastPosition: GlobalPosition;
}

/**
 * Events read and applied per transaction in a replay. Larger pages write each hot page of the
 * scratch file fewer times (1M events: 45k events/s at 5,000, 63k at 20,000); the page's events
 * are what memory holds beyond SQLite's cache.
 */
const REPLAY_PAGE_EVENTS = 20_000;

export const endOfDayInChina = (date: string) => new Date(`${date}T23:59:59.999+08:00`);

/**
 * The day from which an aid event counts in "valued up to": its value date — the approval date
 * for an approval. A reversal counts from its own value date, and never before the payment it
 * reverses (a reversal dated before its payment would otherwise take back money not yet paid); it
 * still nets against the payment's fiscal year, as the totals always do.
 */
export function valueDateOf(event: AidEvent): LocalDate | undefined {
  switch (event.type) {
    case 'StudentIdentifierLinked':
    case 'StudentDataErased':
    case 'StudentPlacedOnLegalHold':
    case 'StudentLegalHoldLifted':
      return undefined; // not money: who a record belongs to, and whether their data is kept, holds whatever the day
    case 'AidApproved':
      return event.data.approvedOn as LocalDate;
    case 'DisbursementReversed': {
      const { valueDate, originalValueDate } = event.data;
      return (valueDate > originalValueDate ? valueDate : originalValueDate) as LocalDate;
    }
    case 'DisbursementRecorded':
    case 'LoanDisbursed':
    case 'LoanRepaymentRecorded':
    case 'BudgetAllocated':
      return event.data.valueDate as LocalDate;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

/** The projection seeing only the aid events valued on or before `day`; projections of the log itself see every event. */
function valuedUpTo(projection: Projection, day: string): Projection {
  if (!projection.prepare) return projection;
  return {
    ...projection,
    prepare(db: Database.Database) {
      const apply = projection.prepare!(db);
      return (event, stored) => {
        const valued = valueDateOf(event);
        if (valued === undefined || valued <= day) apply(event, stored);
      };
    },
  };
}

export async function replayReadModels(
  store: EventStore,
  path: string,
  projections: readonly Projection[],
  limit: ReplayLimit = {},
  onProgress?: (events: number, position: GlobalPosition) => void,
): Promise<ReplayResult> {
  const day = limit.valuedUpTo;
  const models = new ReadModels(path, day ? projections.map((projection) => valuedUpTo(projection, day)) : projections, { scratch: true });
  const cutoff = limit.recordedBy ? endOfDayInChina(limit.recordedBy).getTime() : undefined;
  const within = (event: StoredEvent) =>
    (limit.untilPosition === undefined || event.position <= limit.untilPosition) && (cutoff === undefined || Date.parse(firstRecordedAt(event)) <= cutoff);
  let events = 0;
  let valuedLater = 0;
  let lastPosition: GlobalPosition = 0n;
  for await (const page of readAllPages(store, 0n, REPLAY_PAGE_EVENTS)) {
    const end = page.findIndex((event) => !within(event));
    const included = end === -1 ? page : page.slice(0, end);
    if (included.length > 0) {
      models.applyPage(included);
      events += included.length;
      if (day) {
        for (const stored of included) {
          const event = aidEventOf(stored);
          if (event && (valueDateOf(event) ?? day) > day) valuedLater++;
        }
      }
      lastPosition = included[included.length - 1].position;
      onProgress?.(events, lastPosition);
    }
    if (end !== -1) break;
  }
  return { models, events, valuedLater, lastPosition };
}

/**
 * What a point-in-time answer covers, in words, for the `basis` of the answer: exactly the filters
 * applied, and nothing about what was not asked.
 */
export function pointInTimeBasis(limit: ReplayLimit): string {
  const parts: string[] = [];
  if (limit.valuedUpTo) {
    parts.push(
      `valued up to ${limit.valuedUpTo}: payments, loans, repayments and budget allocations by value date, approvals by approval date, a reversal from its own value date (never before its payment)`,
    );
  }
  const recorded = [
    ...(limit.recordedBy ? [`by the end of ${limit.recordedBy} (UTC+8)`] : []),
    ...(limit.untilPosition !== undefined ? [`up to log position ${limit.untilPosition}`] : []),
  ];
  parts.push(recorded.length ? `as recorded ${recorded.join(' and ')}` : 'as recorded up to now (the whole log)');
  return `${parts.join('; ')}; replayed from the log`;
}

import { EventStore, GlobalPosition, StoredEvent, readAllPages } from '@ledger/event-store';
import { Projection } from './projection';
import { ReadModels } from './read-models';

/**
 * Replays the log through the same projection code into a scratch read-model file, up to a log
 * position or to the end of a date (China time, UTC+8): "the totals as they stood then". Pages
 * stream through, so memory stays flat whatever the length of the log.
 */
export interface ReplayLimit {
  /** Last position to include. */
  untilPosition?: GlobalPosition;
  /** Last calendar day (YYYY-MM-DD) whose recorded events are included. */
  untilDate?: string;
}

export interface ReplayResult {
  models: ReadModels;
  events: number;
  lastPosition: GlobalPosition;
}

/**
 * Events read and applied per transaction in a replay. Larger pages write each hot page of the
 * scratch file fewer times (1M events: 45k events/s at 5,000, 63k at 20,000); the page's events
 * are what memory holds beyond SQLite's cache.
 */
const REPLAY_PAGE_EVENTS = 20_000;

export const endOfDayInChina = (date: string) => new Date(`${date}T23:59:59.999+08:00`);

export async function replayReadModels(
  store: EventStore,
  path: string,
  projections: readonly Projection[],
  limit: ReplayLimit = {},
  onProgress?: (events: number, position: GlobalPosition) => void,
): Promise<ReplayResult> {
  const models = new ReadModels(path, projections, { scratch: true });
  const cutoff = limit.untilDate ? endOfDayInChina(limit.untilDate).getTime() : undefined;
  const within = (event: StoredEvent) =>
    (limit.untilPosition === undefined || event.position <= limit.untilPosition) && (cutoff === undefined || Date.parse(event.recordedAt) <= cutoff);
  let events = 0;
  let lastPosition: GlobalPosition = 0n;
  for await (const page of readAllPages(store, 0n, REPLAY_PAGE_EVENTS)) {
    const end = page.findIndex((event) => !within(event));
    const included = end === -1 ? page : page.slice(0, end);
    if (included.length > 0) {
      models.applyPage(included);
      events += included.length;
      lastPosition = included[included.length - 1].position;
      onProgress?.(events, lastPosition);
    }
    if (end !== -1) break;
  }
  return { models, events, lastPosition };
}

import { LocalDate } from '@ledger/domain';

/**
 * Which day it is, for the rules that refuse dates after today (a value date is the day money
 * moved: the ledger must not say that something happened on a day that has not come). The
 * deciders are pure: the command path asks the clock once per command and puts the day in their
 * context. Provide `CLOCK` to pin it (tests); the service uses the system's.
 */
export interface Clock {
  /** Today in China (the bureau's day). */
  today(): LocalDate;
}

/** China Standard Time is UTC+8 all year (no daylight saving since 1991). */
const CHINA_OFFSET_MS = 8 * 3_600_000;

/** The date in China at an instant, whatever the server's own time zone. */
export const chinaDateOf = (instant: Date): LocalDate => new Date(instant.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10) as LocalDate;

export const systemClock: Clock = { today: () => chinaDateOf(new Date()) };

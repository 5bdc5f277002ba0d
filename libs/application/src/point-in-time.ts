import { FieldProblem, parseLocalDate } from '@ledger/domain';
import { ReplayLimit } from '@ledger/projections';

/**
 * The point-in-time parameters of the replayed answers (totals, anomalies), named for what they are:
 * `valuedUpTo` (value dates on or before a day), `recordedBy` (recorded by the end of a day, China
 * time) and `asOfPosition` (recorded up to a log position), alone or together.
 *
 * `asOf` is refused, not kept as an alias: it meant the recording time, so the auditor's "as of
 * October" on history imported later answered nothing; giving it the other meaning now would change
 * the answer of every saved query without a word. A 400 naming both makes each caller choose once.
 */
export const POINT_IN_TIME_PARAMETERS = ['valuedUpTo', 'recordedBy', 'asOfPosition'] as const;

export const AS_OF_REFUSED =
  'asOf is ambiguous and no longer accepted: valuedUpTo=YYYY-MM-DD counts the aid valued (paid, approved, allocated) on or before that day, recordedBy=YYYY-MM-DD gives the ledger as recorded by the end of that day (China time); give either or both';

/**
 * The replay limit the query asks for, or undefined for the live read models; each bad field added
 * to `problems`. `logHead` is the log's last position, needed when `asOfPosition` is given: a
 * position beyond it names a ledger that does not exist (yet), and is refused rather than answered
 * as the head (the answer would claim a position it does not stand at).
 */
export function readPointInTime(query: Record<string, string | undefined>, logHead: bigint | undefined, problems: FieldProblem[]): ReplayLimit | undefined {
  const limit: ReplayLimit = {};
  if (query.asOf !== undefined) problems.push({ field: 'asOf', message: AS_OF_REFUSED });
  for (const field of ['valuedUpTo', 'recordedBy'] as const) {
    if (query[field] === undefined) continue;
    try {
      limit[field] = parseLocalDate(query[field], field);
    } catch {
      problems.push({ field, message: `${field} must be a date YYYY-MM-DD` });
    }
  }
  if (query.asOfPosition !== undefined) {
    if (!/^\d{1,20}$/.test(query.asOfPosition)) problems.push({ field: 'asOfPosition', message: 'asOfPosition must be a log position (a whole number)' });
    else if (logHead === undefined || BigInt(query.asOfPosition) > logHead) {
      problems.push({ field: 'asOfPosition', message: `asOfPosition must be a position of the log, at most its head (${logHead})` });
    } else limit.untilPosition = BigInt(query.asOfPosition);
  }
  return Object.keys(limit).length > 0 ? limit : undefined;
}

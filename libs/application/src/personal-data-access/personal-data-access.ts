import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { FieldProblem, USER_ID_PATTERN, parseLocalDate } from '@ledger/domain';
import { DisclosureFilter, DisclosureRow, endOfDayInChina, queryDisclosures } from '@ledger/projections';
import { csvForExcel } from '../csv-file';
import { formatProblem, refuseProblems, unknownParameterProblems } from '../query-parameters';
import { ReadSide } from '../read-side';

export const PERSONAL_DATA_ACCESS_PARAMETERS = ['from', 'to', 'actor', 'route', 'after', 'limit', 'format'] as const;
/** A page holds this many disclosures unless `limit` says fewer (or more, up to MAX_PAGE). */
export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;
/** What a route filter looks like: a method and a route template, as the disclosures record it. */
const ROUTE_FILTER = /^(GET|POST|PUT|PATCH|DELETE) \/[A-Za-z0-9/:_.-]{0,200}$/;

export const DISCLOSURE_CSV_COLUMNS = ['position', 'recordedAt', 'actor', 'role', 'via', 'requestId', 'route', 'path', 'format', 'records', 'purpose', 'studentsOnHold'];

export interface PersonalDataAccessPage {
  /** The filters as understood: the days are China time (UTC+8), both included. */
  filter: { from?: string; to?: string; actor?: string; route?: string; after?: string; limit: number };
  disclosures: DisclosureRow[];
  /** The `after` of the next page, when there is one. */
  nextAfter: string | null;
}

export type PersonalDataAccessAnswer = { format: 'json'; body: PersonalDataAccessPage } | { format: 'csv'; body: string; count: number };

/**
 * The record of processing: who had personal data disclosed to them, when, through which route.
 * Filters: `from`/`to` (days, China time, both included), `actor` (a user id), `route` (as
 * recorded, e.g. `GET /disbursements/:disbursementId`); oldest first, a page of `limit` at a time
 * after the position `after` (the previous page's `nextAfter`); `format=csv` for the page as CSV.
 */
export class PersonalDataAccessQuery extends Query<PersonalDataAccessAnswer> {
  constructor(readonly parameters: Record<string, string | undefined>) {
    super();
  }
}

/** The filter a query string asks for; each bad field added to `problems`. */
export function disclosureFilterOf(parameters: Record<string, string | undefined>, problems: FieldProblem[]): DisclosureFilter {
  const filter: DisclosureFilter = { limit: DEFAULT_PAGE };
  const day = (field: 'from' | 'to') => {
    const value = parameters[field];
    if (value === undefined) return undefined;
    try {
      return parseLocalDate(value, field);
    } catch {
      problems.push({ field, message: `${field} must be a date YYYY-MM-DD (China time)` });
      return undefined;
    }
  };
  const from = day('from');
  const to = day('to');
  if (from) filter.from = new Date(`${from}T00:00:00+08:00`).toISOString();
  // The whole of the last day, China time: before the millisecond after its end.
  if (to) filter.before = new Date(endOfDayInChina(to).getTime() + 1).toISOString();
  if (from && to && from > to) problems.push({ field: 'to', message: 'to must be on or after from' });
  const { actor, route, after, limit } = parameters;
  if (actor !== undefined) {
    if (USER_ID_PATTERN.test(actor)) filter.actor = actor;
    else problems.push({ field: 'actor', message: 'actor must be a user id: 2–32 lowercase letters, digits, "_" or "-", starting with a letter' });
  }
  if (route !== undefined) {
    if (ROUTE_FILTER.test(route)) filter.route = route;
    else problems.push({ field: 'route', message: 'route must be a method and a route template, e.g. GET /disbursements/:disbursementId' });
  }
  if (after !== undefined) {
    if (/^\d{1,20}$/.test(after)) filter.afterPosition = BigInt(after);
    else problems.push({ field: 'after', message: 'after must be a log position (a whole number): the nextAfter of the page before' });
  }
  if (limit !== undefined) {
    if (/^\d{1,4}$/.test(limit) && Number(limit) >= 1 && Number(limit) <= MAX_PAGE) filter.limit = Number(limit);
    else problems.push({ field: 'limit', message: `limit must be a whole number from 1 to ${MAX_PAGE}` });
  }
  return filter;
}

/** The disclosures as CSV (UTF-8 with a BOM, as every CSV of the ledger); a cell that Excel would take for a formula is escaped. */
export function disclosuresCsv(disclosures: DisclosureRow[]): string {
  return csvForExcel(
    disclosures.map((row) => ({ ...row, actor: row.actor.id, role: row.actor.role, via: row.actor.via === undefined ? '' : JSON.stringify(row.actor.via), studentsOnHold: row.studentsOnHold.join(' ') })),
    { header: true, columns: DISCLOSURE_CSV_COLUMNS, escape_formulas: true },
  );
}

@QueryHandler(PersonalDataAccessQuery)
export class PersonalDataAccessHandler implements IQueryHandler<PersonalDataAccessQuery, PersonalDataAccessAnswer> {
  constructor(private readonly readSide: ReadSide) {}

  async execute({ parameters }: PersonalDataAccessQuery): Promise<PersonalDataAccessAnswer> {
    const { format = 'json', ...named } = parameters;
    const problems = unknownParameterProblems(named, PERSONAL_DATA_ACCESS_PARAMETERS.filter((name) => name !== 'format'));
    const badFormat = formatProblem(format, ['json', 'csv']);
    if (badFormat) problems.push(badFormat);
    const filter = disclosureFilterOf(named, problems);
    refuseProblems(problems);
    const { disclosures, more } = queryDisclosures(await this.readSide.current(), filter);
    if (format === 'csv') return { format, body: disclosuresCsv(disclosures), count: disclosures.length };
    const { actor, route, afterPosition, limit } = filter;
    const { from, to } = named;
    return {
      format: 'json',
      body: {
        filter: { ...(from && { from }), ...(to && { to }), ...(actor && { actor }), ...(route && { route }), ...(afterPosition !== undefined && { after: afterPosition.toString() }), limit },
        disclosures,
        nextAfter: more ? disclosures[disclosures.length - 1].position : null,
      },
    };
  }
}

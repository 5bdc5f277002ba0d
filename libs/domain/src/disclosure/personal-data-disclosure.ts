import { Decider } from '../decider';
import { DomainError } from '../errors';
import { redactForGood, redactText } from '../privacy';
import { parseOptionalFreeText } from '../text';

/**
 * The record of processing (PIPL): every answer that leaves the ledger with personal data unmasked
 * is recorded as a `PersonalDataDisclosed` fact, before it is sent. Who and when are the event's
 * metadata (actor, recording time, request id), as for every event; the fact says through which
 * route, for which request (its identifiers redacted), how many records, in which format and, when
 * the caller gave one, for what purpose. It holds no identifier in clear: the record of who read a
 * student's data must not become another copy of it.
 *
 * One stream for every disclosure, named for what it holds and nothing else (no identifier in a
 * stream name). No decision depends on earlier disclosures, so its decider has no state.
 */
export const PERSONAL_DATA_DISCLOSURES_STREAM = 'personal-data-disclosures';

/** How the answer was written: JSON, a CSV or XLSX download, or the NDJSON log export. */
export const DISCLOSURE_FORMATS = ['json', 'csv', 'xlsx', 'ndjson'] as const;
export type DisclosureFormat = (typeof DISCLOSURE_FORMATS)[number];

/** The longest purpose a caller may state (the `X-Purpose` header), in characters. */
export const PURPOSE_MAX_LENGTH = 200;
/** A route template (`GET /disbursements/:disbursementId`) and a request path are bounded too: the request line is. */
const ROUTE_MAX_LENGTH = 200;
const PATH_MAX_LENGTH = 4096;

export type PersonalDataDisclosed = {
  type: 'PersonalDataDisclosed';
  data: {
    /** Method and route template, e.g. `GET /beneficiaries/:studentKey/history`. */
    route: string;
    /** The request's path and query as asked, every identifier in it redacted as the request log redacts it. */
    path: string;
    format: DisclosureFormat;
    /** How many records the answer held, where the route knows it (the log export does not count). */
    records?: number;
    /** Why, as the caller said (`X-Purpose`): refused when it holds personal data (it is kept for good). */
    purpose?: string;
    /**
     * The students on legal hold whose personal data the answer held, by their records' opaque keys:
     * a held student's every read is recorded, naming them (added without a schema version: earlier
     * disclosures named none, which is what they were).
     */
    studentsOnHold?: string[];
  };
};

export type DisclosureEvent = PersonalDataDisclosed;

/** What the edge knows of an answer about to be sent unmasked. */
export type RecordDisclosure = {
  type: 'RecordDisclosure';
  data: { route: string; path: string; format: DisclosureFormat; records?: number; purpose?: unknown; studentsOnHold?: readonly string[] };
};

/** A record's opaque key (`s` and 26 characters of lower-case Crockford base32): never an identifier. */
const STUDENT_KEY = /^s[0-9a-hjkmnp-tv-z]{26}$/;

class InvalidDisclosure extends DomainError {
  constructor(field: string, message: string) {
    super('FIELD_INVALID', 'invalid', message, field);
  }
}

/**
 * The disclosure as recorded: the path redacted (`redactText`, the request log's redaction, and what
 * it leaves of an identifier then taken out whole: no part of a resident ID, student number or card
 * in a path or query reaches the log), the
 * purpose checked as free text (one line, no control characters, at most PURPOSE_MAX_LENGTH) and
 * refused when it holds personal data (an ID, a card, a name beside one): it is kept for good.
 */
export function disclosureOf(command: RecordDisclosure['data']): PersonalDataDisclosed['data'] {
  const { route, path, format, records } = command;
  if (typeof route !== 'string' || route.length === 0 || route.length > ROUTE_MAX_LENGTH) throw new InvalidDisclosure('route', `route must be a route template of at most ${ROUTE_MAX_LENGTH} characters`);
  if (typeof path !== 'string' || !path.startsWith('/') || path.length > PATH_MAX_LENGTH) throw new InvalidDisclosure('path', `path must be a request path of at most ${PATH_MAX_LENGTH} characters`);
  if (!DISCLOSURE_FORMATS.includes(format)) throw new InvalidDisclosure('format', `format must be one of ${DISCLOSURE_FORMATS.join(', ')}`);
  if (records !== undefined && (!Number.isSafeInteger(records) || records < 0)) throw new InvalidDisclosure('records', 'records must be a whole number');
  const purpose = parseOptionalFreeText(command.purpose, 'X-Purpose', { maxLength: PURPOSE_MAX_LENGTH, noPersonalData: true });
  const { studentsOnHold } = command;
  if (studentsOnHold !== undefined && !(Array.isArray(studentsOnHold) && studentsOnHold.every((key) => typeof key === 'string' && STUDENT_KEY.test(key)))) {
    throw new InvalidDisclosure('studentsOnHold', "studentsOnHold must be records' opaque keys");
  }
  return {
    route: redactText(route),
    path: redactForGood(percentDecoded(path)),
    format,
    ...(records !== undefined && { records }),
    ...(purpose !== undefined && { purpose }),
    ...(studentsOnHold !== undefined && studentsOnHold.length > 0 && { studentsOnHold: [...studentsOnHold] }),
  };
}

/** `%31%31…` is an ID too: decoded before it is redacted (left as it is where it is not valid percent-encoding). */
function percentDecoded(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** Every disclosure is recorded, whatever was recorded before: a decider with no state. */
export const disclosureDecider: Decider<RecordDisclosure, PersonalDataDisclosed, null, undefined> = {
  initialState: () => null,
  evolve: (state) => state,
  decide: (command) => [{ type: 'PersonalDataDisclosed', data: disclosureOf(command.data) }],
};

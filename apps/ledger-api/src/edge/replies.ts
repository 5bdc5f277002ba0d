/**
 * What a controller returns when an answer is more than a JSON body: its status and headers, a file
 * to download, or a stream. Plain values, no HTTP framework: the reply writer (reply-writer.ts)
 * turns them into the answer.
 */

export interface ReplyOptions {
  status?: number;
  headers?: Record<string, string>;
  /**
   * The body is text or bytes (not JSON, which is masked field by field) that may hold personal
   * data: refused (403) to a caller who sees personal data masked, or who is not known.
   */
  personalData?: boolean;
}

/** A body (JSON unless a Content-Type header says otherwise) with its own status and headers. */
export class Reply {
  constructor(
    readonly body: unknown,
    readonly options: ReplyOptions = {},
  ) {}
}

/** A file to save: its bytes or text, its type, the name the browser saves it as. */
export class Download {
  constructor(
    readonly contentType: string,
    readonly fileName: string,
    readonly content: string | Buffer,
    /** May hold personal data: refused to callers who see it masked (see ReplyOptions.personalData). */
    readonly personalData = false,
  ) {}
}

/** An answer written as it is produced (the log export): chunks, written with back-pressure. */
export class Streamed {
  constructor(
    readonly contentType: string,
    readonly chunks: AsyncIterable<string | Buffer>,
    readonly fileName?: string,
    /** May hold personal data: refused to callers who see it masked (see ReplyOptions.personalData). */
    readonly personalData = false,
  ) {}
}

/**
 * `Content-Disposition: attachment` for a file name: ASCII names as they are, others (Chinese
 * report names) as RFC 6266 `filename*=UTF-8''…` with an ASCII fallback for old clients.
 */
export function attachment(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  if (fallback === fileName) return `attachment; filename="${fileName}"`;
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

/** How many records an answer holds, carried beside it for the record of disclosures, never sent (JSON leaves symbols out). */
const RECORD_COUNT = Symbol('record count');

/** `answer`, marked as holding `records` records (a payment, a student's history, the rows of an export). */
export function withRecordCount<T extends object>(answer: T, records: number): T {
  return Object.defineProperty(answer, RECORD_COUNT, { value: records, enumerable: false });
}

/** The records an answer was marked with (withRecordCount), undefined when the route does not count them. */
export const recordCountOf = (answer: unknown): number | undefined =>
  answer !== null && typeof answer === 'object' ? (answer as { [RECORD_COUNT]?: number })[RECORD_COUNT] : undefined;

/** The OpenAPI description of `X-Purpose`, on every route whose unmasked answers are disclosures (ANSWERS_PERSONAL_DATA). */
export const PURPOSE_HEADER = {
  name: 'X-Purpose',
  required: false,
  description: 'why you read this personal data (one line, at most 200 characters, UTF-8): kept in the record of processing (GET /audit/personal-data-access)',
};

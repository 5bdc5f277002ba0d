/** What the HTTP (or CLI) layer knows about a write beyond the command itself. */
export interface WriteContext {
  actor: { id: string; role: string };
  /** Client-chosen key: a retried request with it records nothing twice. */
  idempotencyKey?: string;
  /** Hash of the request (route and body), to refuse the same key with another body. */
  requestHash: string;
  correlationId: string;
  /** Id of the request that caused the events. */
  causationId: string;
}

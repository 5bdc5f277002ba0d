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

/** The context of a write that no HTTP request caused (first start, the CLI). */
export function writeContextFor(actor: WriteContext['actor'], what: string): WriteContext {
  const id = crypto.randomUUID();
  return { actor, requestHash: `${what}:${id}`, correlationId: id, causationId: id };
}

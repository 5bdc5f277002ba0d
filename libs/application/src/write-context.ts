import { hostname, userInfo } from 'node:os';

/**
 * How a write reached the ledger when it did not come over HTTP with a token: from a command on
 * the machine that holds the data files (the CLI), which names its actor with `--as` and proves
 * nothing. Recorded in the events' metadata (`via`), so that auditors can tell such writes from
 * authenticated ones; events without it came over HTTP (or were recorded before this was kept).
 */
export interface WriteChannel {
  channel: 'cli';
  /** The operating-system user who ran the command (what the machine knows of who it was). */
  osUser: string;
  host: string;
}

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
  /** Set for a write made on the command line; recorded in every event it appends. */
  via?: WriteChannel;
}

/** The context of a write that no HTTP request caused (first start, the CLI). */
export function writeContextFor(actor: WriteContext['actor'], what: string, via?: WriteChannel): WriteContext {
  const id = crypto.randomUUID();
  return { actor, requestHash: `${what}:${id}`, correlationId: id, causationId: id, ...(via && { via }) };
}

/** This process as a command run on this machine: its operating-system user and host. */
export function commandLineChannel(): WriteChannel {
  let osUser: string;
  try {
    osUser = userInfo().username;
  } catch {
    // A uid with no entry in the user database (a container run with --user 1234).
    osUser = process.env.USER ?? `uid ${process.getuid?.() ?? 'unknown'}`;
  }
  return { channel: 'cli', osUser, host: hostname() };
}

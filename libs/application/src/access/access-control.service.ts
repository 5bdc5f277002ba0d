import { Inject, Injectable } from '@nestjs/common';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ACCESS_CONTROL_STREAM,
  AccessCommand,
  AccessEvent,
  currentEventOf,
  AccessState,
  AccessUser,
  AuthenticationFailure,
  OperatorFailure,
  ROLES_FOR_WORK,
  TokenSecretShownOnce,
  Role,
  Work,
  accessDecider,
  authorizeOperator,
  authorizeToken,
} from '@ledger/domain';
import { EventStore, StoredEvent, StreamRevision, firstRecordedAt } from '@ledger/event-store';
import { CommandOutcome, WritePipeline } from '../write-pipeline';
import { EVENT_STORE } from '../tokens';
import { WriteContext, commandLineChannel, writeContextFor } from '../write-context';
import { formatToken, hashSecret, newTokenParts, parseToken, secretMatches } from './access-tokens';

export interface Actor {
  id: string;
  role: Role;
  tokenId: string;
}

export interface IssuedToken {
  token: string;
  tokenId: string;
  userId: string;
  expiresAt?: string;
}

/** The user the ledger makes on its first start, when it has none. */
export const FIRST_ADMIN_USER_ID = 'admin';

/**
 * The actor of the first admin's creation by a command on the machine (the CLI's `--as admin`,
 * `seed-demo`): the ledger itself, on an empty ledger only, via the command line. (The service's
 * first start passes its own.)
 */
export const firstRunWrite = (): WriteContext => writeContextFor({ id: 'system:first-run', role: 'admin' }, 'first-run', commandLineChannel());

/** Why an operator may not act as the user they named, in one line. */
export class OperatorRefused extends Error {
  constructor(
    readonly reason: OperatorFailure,
    userId: string,
    work: Work,
    what: string,
    role?: Role,
  ) {
    super(
      reason === 'unknown_user'
        ? `--as ${userId}: no user "${userId}" in this ledger (\`list\` shows its users)`
        : reason === 'user_disabled'
          ? `--as ${userId}: user "${userId}" is disabled`
          : `--as ${userId}: user "${userId}" has role ${role}: ${what} needs ${ROLES_FOR_WORK[work].join(' or ')}`,
    );
  }
}

/**
 * Users, roles and tokens, read from and written to the `access-control` stream. Every check reads
 * the events appended since the last one (usually none: one indexed query), so a revocation
 * written by any process — the CLI included — takes effect on the next request.
 */
@Injectable()
export class AccessControl {
  private state: AccessState = accessDecider.initialState();
  private history: StoredEvent[] = [];
  private nextRevision: StreamRevision = 0;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly pipeline: WritePipeline,
  ) {}

  /** The current state, brought up to date with the stream. */
  async current(): Promise<AccessState> {
    const fresh = await this.store.readStream(ACCESS_CONTROL_STREAM, { fromRevision: this.nextRevision });
    for (const event of fresh) {
      if (event.revision !== this.nextRevision) continue; // a concurrent refresh got there first
      this.state = accessDecider.evolve(this.state, currentEventOf(event) as AccessEvent);
      this.history.push(event);
      this.nextRevision = event.revision + 1;
    }
    return this.state;
  }

  /** The caller behind a bearer token, or why there is none. */
  async authenticate(bearer: string): Promise<{ ok: true; actor: Actor; user: AccessUser } | { ok: false; reason: AuthenticationFailure | 'malformed' }> {
    const parsed = parseToken(bearer);
    if (!parsed) return { ok: false, reason: 'malformed' };
    const result = authorizeToken(await this.current(), parsed.tokenId, new Date());
    if (!result.ok) return result;
    if (result.token.userId !== parsed.userId || !secretMatches(parsed.secret, result.token.secretHash)) {
      return { ok: false, reason: 'unknown_token' };
    }
    return { ok: true, actor: { id: result.user.userId, role: result.user.role, tokenId: result.token.tokenId }, user: result.user };
  }

  /**
   * The write context of an operator at the machine (the CLI) who names themselves as `userId`:
   * refused unless that user exists, is active and has, now, a role the matrix allows for `work`.
   * `what` names the command in the refusal. Nothing proves the operator is that user (anyone with
   * a shell on the machine can name anyone): every event it appends records that it came from the
   * command line, with the operating-system user and host (`via`).
   */
  async operatorWrite(userId: string, work: Work, what: string): Promise<WriteContext> {
    const result = authorizeOperator(await this.current(), userId, work);
    if (!result.ok) throw new OperatorRefused(result.reason, userId, work, what, result.user?.role);
    return writeContextFor({ id: result.user.userId, role: result.user.role }, what, commandLineChannel());
  }

  async execute(command: AccessCommand, write: WriteContext): Promise<CommandOutcome> {
    const outcome = await this.pipeline.run(ACCESS_CONTROL_STREAM, accessDecider, undefined, command, write);
    await this.current();
    return outcome;
  }

  /** Issues a token and returns it: the only time its secret exists outside the caller's hands. */
  async issueToken(userId: string, write: WriteContext, options: { label?: string; expiresInDays?: number } = {}): Promise<IssuedToken> {
    const { tokenId, secret } = newTokenParts();
    const expiresAt =
      options.expiresInDays === undefined ? undefined : new Date(Date.now() + options.expiresInDays * 86_400_000).toISOString();
    const outcome = await this.execute(
      {
        type: 'IssueToken',
        data: { tokenId, userId, secretHash: hashSecret(secret), ...(options.label && { label: options.label }), ...(expiresAt && { expiresAt }) },
      },
      write,
    );
    if (outcome.result === 'replayed') {
      // The first answer held the secret; only its hash is kept, so it cannot be answered again, and a
      // secret made now matches nothing recorded.
      const issued = (outcome.events[0]?.data as { tokenId?: string } | undefined)?.tokenId ?? '?';
      throw new TokenSecretShownOnce(
        `this request (Idempotency-Key ${write.idempotencyKey}) already issued token ${issued}; its secret was shown only in that first answer. If it was lost, revoke token ${issued} (POST /tokens/${issued}/revocation) and issue a new one`,
        'Idempotency-Key',
      );
    }
    return { token: formatToken(userId, tokenId, secret), tokenId, userId, ...(expiresAt && { expiresAt }) };
  }

  /** Users with their tokens (never the hashes), and the events that granted and revoked them. */
  async listUsers() {
    const state = await this.current();
    return [...state.users.values()].map((user) => ({
      ...user,
      tokens: [...state.tokens.values()]
        .filter((token) => token.userId === user.userId)
        .map(({ tokenId, label, expiresAt, revoked }) => ({ tokenId, ...(label && { label }), ...(expiresAt && { expiresAt }), revoked })),
      changes: this.history
        .filter((event) => (event.data as { userId?: string }).userId === user.userId)
        .map((event) => ({
          type: event.type,
          at: firstRecordedAt(event),
          // Who, and how they came: a change made on the command line says so (via).
          by: event.metadata.actor ? { ...event.metadata.actor, ...(event.metadata.via !== undefined && { via: event.metadata.via }) } : null,
          ...detailsOf(event),
        })),
    }));
  }

  /**
   * First start on an empty ledger: creates the user `admin` and writes a token for it to a file
   * (mode 0600) in the data directory, never to the logs. Returns the file's path, or undefined when
   * users already exist.
   */
  async bootstrapFirstAdmin(dataDir: string, write: WriteContext = firstRunWrite()): Promise<string | undefined> {
    if ((await this.current()).users.size > 0) return undefined;
    try {
      await this.execute({ type: 'AddUser', data: { userId: FIRST_ADMIN_USER_ID, displayName: 'First administrator', role: 'admin' } }, write);
    } catch {
      return undefined; // another process bootstrapped at the same moment
    }
    const issued = await this.issueToken(FIRST_ADMIN_USER_ID, write, { label: 'first run', expiresInDays: 7 });
    const path = join(dataDir, 'first-run-admin.token');
    writeFileSync(path, `${issued.token}\n`, { mode: 0o600 });
    return path;
  }
}

function detailsOf(event: StoredEvent): Record<string, unknown> {
  const data = event.data as Record<string, unknown>;
  switch (event.type) {
    case 'UserAdded':
      return { role: data.role };
    case 'UserRoleChanged':
      return { from: data.from, to: data.to };
    case 'UserDisabled':
    case 'TokenRevoked':
      return { ...(data.tokenId ? { tokenId: data.tokenId } : {}), reason: data.reason };
    case 'TokenIssued':
      return { tokenId: data.tokenId, ...(data.expiresAt ? { expiresAt: data.expiresAt } : {}) };
    default:
      return {};
  }
}

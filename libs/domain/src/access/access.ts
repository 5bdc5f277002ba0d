import { Decider } from '../decider';
import { DomainError, LastAdmin } from '../errors';
import { parseFreeText, parseOptionalFreeText } from '../text';

/**
 * Who may use the ledger: users, their role, and their access tokens. All of it lives in one
 * stream (`access-control`), so that every grant and revocation is an event with its actor and
 * time, like any payment. Token secrets are never stored: only their SHA-256 hash.
 */

export const ROLES = ['finance_officer', 'auditor', 'bureau_staff', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const isRole = (value: unknown): value is Role => ROLES.includes(value as Role);

export const ACCESS_CONTROL_STREAM = 'access-control';

/**
 * The kinds of work the ledger keeps apart, and the roles that may do each: the one matrix that
 * the API's route table and the CLI both read, so that a user may do the same over either.
 */
export const ROLES_FOR_WORK = {
  /** approve, pay, reverse, lend, take repayments, allocate budget, import payment lists */
  record_aid: ['finance_officer'],
  /** add users, change their roles, issue and revoke tokens */
  manage_access: ['admin'],
  /** have the service sign a digest of the log now, to keep off the machine (the system signs it; who asked is recorded) */
  request_digest: ['auditor', 'admin'],
  /** erase a student's personal data (PIPL Art. 47): the data protection duty of the bureau, not a finance officer's */
  erase_personal_data: ['admin'],
  /** put a student on legal hold (storage only, PIPL Art. 47) and lift it: the same duty as erasure */
  hold_personal_data: ['admin'],
} as const satisfies Record<string, readonly Role[]>;
export type Work = keyof typeof ROLES_FOR_WORK;

export type UserAdded = { type: 'UserAdded'; data: { userId: string; displayName: string; role: Role } };
export type UserRoleChanged = { type: 'UserRoleChanged'; data: { userId: string; from: Role; to: Role } };
export type UserDisabled = { type: 'UserDisabled'; data: { userId: string; reason: string } };
export type TokenIssued = {
  type: 'TokenIssued';
  data: { tokenId: string; userId: string; secretHash: string; label?: string; expiresAt?: string };
};
export type TokenRevoked = { type: 'TokenRevoked'; data: { tokenId: string; userId: string; reason: string } };

export type AccessEvent = UserAdded | UserRoleChanged | UserDisabled | TokenIssued | TokenRevoked;

export type AddUser = { type: 'AddUser'; data: { userId: string; displayName: string; role: Role } };
export type ChangeUserRole = { type: 'ChangeUserRole'; data: { userId: string; role: Role } };
export type DisableUser = { type: 'DisableUser'; data: { userId: string; reason: string } };
/** The secret is made by the caller (random) and only its hash enters the command. */
export type IssueToken = {
  type: 'IssueToken';
  data: { tokenId: string; userId: string; secretHash: string; label?: string; expiresAt?: string };
};
export type RevokeToken = { type: 'RevokeToken'; data: { tokenId: string; reason: string } };

export type AccessCommand = AddUser | ChangeUserRole | DisableUser | IssueToken | RevokeToken;

export interface AccessToken {
  readonly tokenId: string;
  readonly userId: string;
  readonly secretHash: string;
  readonly label?: string;
  readonly expiresAt?: string;
  readonly revoked: boolean;
}

export interface AccessUser {
  readonly userId: string;
  readonly displayName: string;
  readonly role: Role;
  readonly disabled: boolean;
}

export interface AccessState {
  readonly users: ReadonlyMap<string, AccessUser>;
  readonly tokens: ReadonlyMap<string, AccessToken>;
}

const accessError = (code: string, kind: 'invalid' | 'not_found' | 'conflict' | 'rule', message: string, field?: string) =>
  new DomainError(code, kind, message, field);

/** The longest display name of a user. */
export const DISPLAY_NAME_MAX_LENGTH = 100;
/** The longest label of a token (what it is for). */
export const TOKEN_LABEL_MAX_LENGTH = 100;
/** The longest reason a user is disabled or a token revoked for. */
export const ACCESS_REASON_MAX_LENGTH = 1000;
/** The longest a token may live, in days (ten years). */
export const TOKEN_LIFETIME_MAX_DAYS = 3650;

const reasonOf = (reason: unknown) => parseFreeText(reason, 'reason', { maxLength: ACCESS_REASON_MAX_LENGTH, multiline: true });

export const USER_ID_PATTERN = /^[a-z][a-z0-9_-]{1,31}$/;
export const TOKEN_ID_PATTERN = /^[a-z0-9]{8,32}$/;

function requireUser(state: AccessState, userId: string): AccessUser {
  const user = state.users.get(userId);
  if (!user) throw accessError('USER_NOT_FOUND', 'not_found', `no user "${userId}"`, 'userId');
  return user;
}

/**
 * The ledger always keeps an enabled admin: the role change or disabling of `user` is refused when
 * `user` is the only enabled admin left (a demotion of oneself included), since nothing else could
 * then manage users and tokens — the CLI's `--as` needs an admin too. A disabled admin, or a user
 * who is no longer admin, does not count; taking nothing from an enabled admin is never refused.
 */
function refuseLosingTheLastAdmin(state: AccessState, user: AccessUser): void {
  if (user.role !== 'admin' || user.disabled) return;
  const anotherAdmin = [...state.users.values()].some((other) => other.userId !== user.userId && other.role === 'admin' && !other.disabled);
  if (!anotherAdmin) {
    throw new LastAdmin(`user "${user.userId}" is the last enabled admin: add another admin first, or nobody could manage users and tokens`, 'userId');
  }
}

function decide(command: AccessCommand, state: AccessState): AccessEvent[] {
  switch (command.type) {
    case 'AddUser': {
      const { userId, displayName, role } = command.data;
      if (!USER_ID_PATTERN.test(userId)) {
        throw accessError('USER_ID_INVALID', 'invalid', 'userId must be 2–32 lowercase letters, digits, "_" or "-", starting with a letter', 'userId');
      }
      if (!isRole(role)) throw accessError('ROLE_INVALID', 'invalid', `role must be one of ${ROLES.join(', ')}`, 'role');
      const name = parseFreeText(displayName, 'displayName', { maxLength: DISPLAY_NAME_MAX_LENGTH });
      if (state.users.has(userId)) throw accessError('USER_EXISTS', 'conflict', `user "${userId}" already exists`, 'userId');
      return [{ type: 'UserAdded', data: { userId, displayName: name, role } }];
    }
    case 'ChangeUserRole': {
      const user = requireUser(state, command.data.userId);
      if (!isRole(command.data.role)) throw accessError('ROLE_INVALID', 'invalid', `role must be one of ${ROLES.join(', ')}`, 'role');
      if (user.role === command.data.role) return [];
      refuseLosingTheLastAdmin(state, user);
      return [{ type: 'UserRoleChanged', data: { userId: user.userId, from: user.role, to: command.data.role } }];
    }
    case 'DisableUser': {
      const user = requireUser(state, command.data.userId);
      const reason = reasonOf(command.data.reason);
      if (user.disabled) return [];
      refuseLosingTheLastAdmin(state, user);
      return [{ type: 'UserDisabled', data: { userId: user.userId, reason } }];
    }
    case 'IssueToken': {
      const user = requireUser(state, command.data.userId);
      if (user.disabled) throw accessError('USER_DISABLED', 'rule', `user "${user.userId}" is disabled`, 'userId');
      const label = parseOptionalFreeText(command.data.label, 'label', { maxLength: TOKEN_LABEL_MAX_LENGTH });
      if (state.tokens.has(command.data.tokenId)) throw accessError('TOKEN_EXISTS', 'conflict', 'token id already used', 'tokenId');
      // The label checked and trimmed where it was given, so that the event's fields keep their order.
      const data: TokenIssued['data'] = { ...command.data, label };
      if (label === undefined) delete data.label;
      return [{ type: 'TokenIssued', data }];
    }
    case 'RevokeToken': {
      const token = state.tokens.get(command.data.tokenId);
      if (!token) throw accessError('TOKEN_NOT_FOUND', 'not_found', `no token "${command.data.tokenId}"`, 'tokenId');
      const reason = reasonOf(command.data.reason);
      if (token.revoked) return [];
      return [{ type: 'TokenRevoked', data: { tokenId: token.tokenId, userId: token.userId, reason } }];
    }
    default: {
      const unreachable: never = command;
      throw new Error(`unknown command ${JSON.stringify(unreachable)}`);
    }
  }
}

function evolve(state: AccessState, event: AccessEvent): AccessState {
  const users = new Map(state.users);
  const tokens = new Map(state.tokens);
  switch (event.type) {
    case 'UserAdded':
      users.set(event.data.userId, { ...event.data, disabled: false });
      break;
    case 'UserRoleChanged': {
      const user = users.get(event.data.userId);
      if (user) users.set(user.userId, { ...user, role: event.data.to });
      break;
    }
    case 'UserDisabled': {
      const user = users.get(event.data.userId);
      if (user) users.set(user.userId, { ...user, disabled: true });
      break;
    }
    case 'TokenIssued':
      tokens.set(event.data.tokenId, { ...event.data, revoked: false });
      break;
    case 'TokenRevoked': {
      const token = tokens.get(event.data.tokenId);
      if (token) tokens.set(token.tokenId, { ...token, revoked: true });
      break;
    }
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
  return { users, tokens };
}

export const accessDecider: Decider<AccessCommand, AccessEvent, AccessState, void> = {
  initialState: () => ({ users: new Map(), tokens: new Map() }),
  evolve,
  decide: (command, state) => decide(command, state),
};

export type AuthenticationFailure = 'unknown_token' | 'revoked' | 'expired' | 'user_disabled';

/**
 * Whether a token (already matched by id and secret hash) may act now, and as whom. The secret
 * comparison itself happens where the secret is (the caller), in constant time.
 */
export function authorizeToken(
  state: AccessState,
  tokenId: string,
  now: Date,
): { ok: true; user: AccessUser; token: AccessToken } | { ok: false; reason: AuthenticationFailure } {
  const token = state.tokens.get(tokenId);
  if (!token) return { ok: false, reason: 'unknown_token' };
  if (token.revoked) return { ok: false, reason: 'revoked' };
  if (token.expiresAt && new Date(token.expiresAt).getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
  const user = state.users.get(token.userId);
  if (!user || user.disabled) return { ok: false, reason: 'user_disabled' };
  return { ok: true, user, token };
}

export type OperatorFailure = 'unknown_user' | 'user_disabled' | 'role_not_permitted';

/**
 * Whether the user an operator names (the CLI's `--as`) may do a kind of work now: a user of the
 * ledger, not disabled, whose current role the matrix allows for that work.
 */
export function authorizeOperator(
  state: AccessState,
  userId: string,
  work: Work,
): { ok: true; user: AccessUser } | { ok: false; reason: OperatorFailure; user?: AccessUser } {
  const user = state.users.get(userId);
  if (!user) return { ok: false, reason: 'unknown_user' };
  if (user.disabled) return { ok: false, reason: 'user_disabled', user };
  if (!(ROLES_FOR_WORK[work] as readonly Role[]).includes(user.role)) return { ok: false, reason: 'role_not_permitted', user };
  return { ok: true, user };
}

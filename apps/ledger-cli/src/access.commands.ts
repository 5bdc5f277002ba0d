import { Inject } from '@nestjs/common';
import { Command, CommandRunner as CliCommand, Option } from 'nest-commander';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  AccessControl,
  AddUserCommand as AddUser,
  ChangeUserRoleCommand as ChangeUserRole,
  FIRST_ADMIN_USER_ID,
  IssueTokenCommand as IssueToken,
  ListUsersQuery,
  RevokeTokenCommand as RevokeToken,
  SETTINGS,
  Settings,
  WriteContext,
} from '@ledger/application';
import { ROLES, ROLES_FOR_WORK, Role, TOKEN_LIFETIME_MAX_DAYS, Work, isRole } from '@ledger/domain';

/**
 * The write context of a CLI command that appends. Whoever can run the CLI can read the data files
 * anyway, but every change still records who made it: the operator names themselves with `--as
 * <userId>`, a user of this ledger whose current role may do the work — the matrix the API's routes
 * use. Nothing proves the name (the machine is the trust boundary), so every event appended also
 * records that it came from the command line, with the operating-system user and host
 * (`metadata.via`, see AccessControl.operatorWrite). On a ledger with no users yet, `--as admin`
 * for user management first makes the first admin exactly as the service's first start does (its
 * token in <data dir>/first-run-admin.token).
 */
export async function operatorWrite(access: AccessControl, settings: Settings, what: string, userId: string | undefined, work: Work): Promise<WriteContext> {
  if (userId === undefined) {
    throw new Error(`${what} records who did it: name yourself with --as <userId> (a user with role ${ROLES_FOR_WORK[work].join(' or ')}; \`list\` shows them)`);
  }
  if (work === 'manage_access' && userId === FIRST_ADMIN_USER_ID) {
    const path = await access.bootstrapFirstAdmin(settings.dataDir);
    if (path) console.error(`no users yet: created user "${FIRST_ADMIN_USER_ID}" (role admin) as the service does at its first start; its token, valid 7 days, is in ${path}`);
  }
  return access.operatorWrite(userId, work, what);
}

const AS_ADMIN = { flags: '--as <userId>', description: 'you: an admin of this ledger, recorded as the actor (required)' };

function parseRole(value: string): Role {
  if (!isRole(value)) throw new Error(`role must be one of ${ROLES.join(', ')}`);
  return value;
}

@Command({ name: 'add-user', arguments: '<userId>', description: `add a user with a role (${ROLES.join(', ')})` })
export class AddUserCommand extends CliCommand {
  constructor(
    @Inject(AccessControl) private readonly access: AccessControl,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(CommandBus) private readonly commandBus: CommandBus,
  ) {
    super();
  }

  async run([userId]: string[], options: { role: Role; name?: string; as?: string }): Promise<void> {
    const write = await operatorWrite(this.access, this.settings, 'add-user', options.as, 'manage_access');
    await this.commandBus.execute(new AddUser({ userId, displayName: options.name ?? userId, role: options.role }, write));
    console.log(`added user ${userId} with role ${options.role}`);
  }

  @Option(AS_ADMIN)
  as(value: string): string {
    return value;
  }

  @Option({ flags: '-r, --role <role>', description: 'the user’s role', required: true })
  role(value: string): Role {
    return parseRole(value);
  }

  @Option({ flags: '-n, --name <displayName>', description: 'name shown in listings' })
  name(value: string): string {
    return value;
  }
}

@Command({ name: 'change-role', arguments: '<userId> <role>', description: 'change a user’s role' })
export class ChangeRoleCommand extends CliCommand {
  constructor(
    @Inject(AccessControl) private readonly access: AccessControl,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(CommandBus) private readonly commandBus: CommandBus,
  ) {
    super();
  }

  async run([userId, role]: string[], options: { as?: string }): Promise<void> {
    const newRole = parseRole(role);
    const write = await operatorWrite(this.access, this.settings, 'change-role', options.as, 'manage_access');
    await this.commandBus.execute(new ChangeUserRole(userId, newRole, write));
    console.log(`user ${userId} now has role ${role}`);
  }

  @Option(AS_ADMIN)
  as(value: string): string {
    return value;
  }
}

@Command({ name: 'issue-token', arguments: '<userId>', description: 'issue a bearer token; it is printed once and stored only as a hash' })
export class IssueTokenCommand extends CliCommand {
  constructor(
    @Inject(AccessControl) private readonly access: AccessControl,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(CommandBus) private readonly commandBus: CommandBus,
  ) {
    super();
  }

  async run([userId]: string[], options: { label?: string; expiresInDays?: number; as?: string }): Promise<void> {
    const write = await operatorWrite(this.access, this.settings, 'issue-token', options.as, 'manage_access');
    const issued = await this.commandBus.execute(new IssueToken(userId, { label: options.label, expiresInDays: options.expiresInDays ?? 90 }, write));
    console.error(`token ${issued.tokenId} for ${userId}${issued.expiresAt ? `, expires ${issued.expiresAt}` : ''}. It is shown only now:`);
    console.log(issued.token);
  }

  @Option(AS_ADMIN)
  as(value: string): string {
    return value;
  }

  @Option({ flags: '-l, --label <label>', description: 'what the token is for' })
  label(value: string): string {
    return value;
  }

  @Option({ flags: '-d, --expires-in-days <days>', description: 'days until it expires (default 90)' })
  expiresInDays(value: string): number {
    const days = Number(value);
    if (!Number.isInteger(days) || days < 1 || days > TOKEN_LIFETIME_MAX_DAYS) throw new Error(`--expires-in-days must be a whole number from 1 to ${TOKEN_LIFETIME_MAX_DAYS}`);
    return days;
  }
}

@Command({ name: 'revoke-token', arguments: '<tokenId>', description: 'revoke a token, effective at the next request' })
export class RevokeTokenCommand extends CliCommand {
  constructor(
    @Inject(AccessControl) private readonly access: AccessControl,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(CommandBus) private readonly commandBus: CommandBus,
  ) {
    super();
  }

  async run([tokenId]: string[], options: { reason: string; as?: string }): Promise<void> {
    const write = await operatorWrite(this.access, this.settings, 'revoke-token', options.as, 'manage_access');
    await this.commandBus.execute(new RevokeToken(tokenId, options.reason, write));
    console.log(`revoked token ${tokenId}`);
  }

  @Option(AS_ADMIN)
  as(value: string): string {
    return value;
  }

  @Option({ flags: '--reason <reason>', description: 'why (kept in the ledger)', required: true })
  reason(value: string): string {
    return value;
  }
}

@Command({ name: 'list', description: 'list users, their roles and tokens' })
export class ListCommand extends CliCommand {
  constructor(@Inject(QueryBus) private readonly queryBus: QueryBus) {
    super();
  }

  async run(): Promise<void> {
    const users = await this.queryBus.execute(new ListUsersQuery());
    if (users.length === 0) {
      console.log('no users yet: start the service once, or add one with add-user … --as admin (which makes the first admin)');
      return;
    }
    for (const user of users) {
      console.log(`${user.userId}  ${user.role}${user.disabled ? '  (disabled)' : ''}  — ${user.displayName}`);
      for (const token of user.tokens) {
        const state = token.revoked ? 'revoked' : token.expiresAt && token.expiresAt < new Date().toISOString() ? 'expired' : 'active';
        console.log(`    token ${token.tokenId}  ${state}${token.expiresAt ? `  expires ${token.expiresAt.slice(0, 10)}` : ''}${token.label ? `  ${token.label}` : ''}`);
      }
    }
  }
}

export const ACCESS_COMMANDS = [AddUserCommand, ChangeRoleCommand, IssueTokenCommand, RevokeTokenCommand, ListCommand];

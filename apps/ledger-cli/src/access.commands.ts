import { Inject } from '@nestjs/common';
import { Command, CommandRunner as CliCommand, Option } from 'nest-commander';
import { userInfo } from 'node:os';
import { AccessControl, WriteContext, localOperator, writeContextFor } from '@ledger/application';
import { ROLES, Role, isRole } from '@ledger/domain';

/**
 * Managing users and tokens from the machine the ledger runs on. Whoever can run this can read
 * the data files anyway; every change is still recorded as an event, with the operating-system
 * user as its actor (`local:<name>`).
 */
const operatorWrite = (what: string): WriteContext => writeContextFor(localOperator(userInfo().username), what);

function parseRole(value: string): Role {
  if (!isRole(value)) throw new Error(`role must be one of ${ROLES.join(', ')}`);
  return value;
}

@Command({ name: 'add-user', arguments: '<userId>', description: `add a user with a role (${ROLES.join(', ')})` })
export class AddUserCommand extends CliCommand {
  constructor(@Inject(AccessControl) private readonly access: AccessControl) {
    super();
  }

  async run([userId]: string[], options: { role: Role; name?: string }): Promise<void> {
    await this.access.execute({ type: 'AddUser', data: { userId, displayName: options.name ?? userId, role: options.role } }, operatorWrite('add-user'));
    console.log(`added user ${userId} with role ${options.role}`);
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
  constructor(@Inject(AccessControl) private readonly access: AccessControl) {
    super();
  }

  async run([userId, role]: string[]): Promise<void> {
    await this.access.execute({ type: 'ChangeUserRole', data: { userId, role: parseRole(role) } }, operatorWrite('change-role'));
    console.log(`user ${userId} now has role ${role}`);
  }
}

@Command({ name: 'issue-token', arguments: '<userId>', description: 'issue a bearer token; it is printed once and stored only as a hash' })
export class IssueTokenCommand extends CliCommand {
  constructor(@Inject(AccessControl) private readonly access: AccessControl) {
    super();
  }

  async run([userId]: string[], options: { label?: string; expiresInDays?: number }): Promise<void> {
    const issued = await this.access.issueToken(userId, operatorWrite('issue-token'), {
      label: options.label,
      expiresInDays: options.expiresInDays ?? 90,
    });
    console.error(`token ${issued.tokenId} for ${userId}${issued.expiresAt ? `, expires ${issued.expiresAt}` : ''}. It is shown only now:`);
    console.log(issued.token);
  }

  @Option({ flags: '-l, --label <label>', description: 'what the token is for' })
  label(value: string): string {
    return value;
  }

  @Option({ flags: '-d, --expires-in-days <days>', description: 'days until it expires (default 90)' })
  expiresInDays(value: string): number {
    const days = Number(value);
    if (!Number.isInteger(days) || days < 1 || days > 3650) throw new Error('--expires-in-days must be a whole number from 1 to 3650');
    return days;
  }
}

@Command({ name: 'revoke-token', arguments: '<tokenId>', description: 'revoke a token, effective at the next request' })
export class RevokeTokenCommand extends CliCommand {
  constructor(@Inject(AccessControl) private readonly access: AccessControl) {
    super();
  }

  async run([tokenId]: string[], options: { reason: string }): Promise<void> {
    await this.access.execute({ type: 'RevokeToken', data: { tokenId, reason: options.reason } }, operatorWrite('revoke-token'));
    console.log(`revoked token ${tokenId}`);
  }

  @Option({ flags: '--reason <reason>', description: 'why (kept in the ledger)', required: true })
  reason(value: string): string {
    return value;
  }
}

@Command({ name: 'list', description: 'list users, their roles and tokens' })
export class ListCommand extends CliCommand {
  constructor(@Inject(AccessControl) private readonly access: AccessControl) {
    super();
  }

  async run(): Promise<void> {
    const users = await this.access.listUsers();
    if (users.length === 0) {
      console.log('no users yet: start the service once, or add one with add-user');
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

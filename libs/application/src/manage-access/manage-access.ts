import { Command, CommandHandler, ICommandHandler, IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { Role } from '@ledger/domain';
import { AccessControl, IssuedToken } from '../access/access-control.service';
import { CommandOutcome } from '../write-pipeline';
import { WriteContext } from '../write-context';

/** Users, roles and tokens (the `access-control` stream), over HTTP for admins and on the CLI on the machine. */

export class AddUserCommand extends Command<CommandOutcome> {
  constructor(
    readonly user: { userId: string; displayName: string; role: Role },
    readonly write: WriteContext,
  ) {
    super();
  }
}

export class ChangeUserRoleCommand extends Command<CommandOutcome> {
  constructor(
    readonly userId: string,
    readonly role: Role,
    readonly write: WriteContext,
  ) {
    super();
  }
}

export class RevokeTokenCommand extends Command<CommandOutcome> {
  constructor(
    readonly tokenId: string,
    readonly reason: string,
    readonly write: WriteContext,
  ) {
    super();
  }
}

/** Issues a token: the answer is the only place its secret ever appears. */
export class IssueTokenCommand extends Command<IssuedToken> {
  constructor(
    readonly userId: string,
    readonly options: { label?: string; expiresInDays?: number },
    readonly write: WriteContext,
  ) {
    super();
  }
}

/** Users with their tokens (never the hashes), and the events that granted and revoked them. */
export class ListUsersQuery extends Query<Awaited<ReturnType<AccessControl['listUsers']>>> {}

@CommandHandler(AddUserCommand)
export class AddUserHandler implements ICommandHandler<AddUserCommand, CommandOutcome> {
  constructor(private readonly access: AccessControl) {}
  execute({ user, write }: AddUserCommand): Promise<CommandOutcome> {
    return this.access.execute({ type: 'AddUser', data: { userId: user.userId, displayName: user.displayName, role: user.role } }, write);
  }
}

@CommandHandler(ChangeUserRoleCommand)
export class ChangeUserRoleHandler implements ICommandHandler<ChangeUserRoleCommand, CommandOutcome> {
  constructor(private readonly access: AccessControl) {}
  execute({ userId, role, write }: ChangeUserRoleCommand): Promise<CommandOutcome> {
    return this.access.execute({ type: 'ChangeUserRole', data: { userId, role } }, write);
  }
}

@CommandHandler(RevokeTokenCommand)
export class RevokeTokenHandler implements ICommandHandler<RevokeTokenCommand, CommandOutcome> {
  constructor(private readonly access: AccessControl) {}
  execute({ tokenId, reason, write }: RevokeTokenCommand): Promise<CommandOutcome> {
    return this.access.execute({ type: 'RevokeToken', data: { tokenId, reason } }, write);
  }
}

@CommandHandler(IssueTokenCommand)
export class IssueTokenHandler implements ICommandHandler<IssueTokenCommand, IssuedToken> {
  constructor(private readonly access: AccessControl) {}
  execute({ userId, options, write }: IssueTokenCommand): Promise<IssuedToken> {
    return this.access.issueToken(userId, write, options);
  }
}

@QueryHandler(ListUsersQuery)
export class ListUsersHandler implements IQueryHandler<ListUsersQuery> {
  constructor(private readonly access: AccessControl) {}
  execute() {
    return this.access.listUsers();
  }
}

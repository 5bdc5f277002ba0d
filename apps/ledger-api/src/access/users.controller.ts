import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { AddUserCommand, ChangeUserRoleCommand, IssueTokenCommand, ListUsersQuery, RevokeTokenCommand, WriteContext } from '@ledger/application';
import type { Actor } from '@ledger/application';
import { ACCESS_REASON_MAX_LENGTH, DISPLAY_NAME_MAX_LENGTH, ROLES, Role, TOKEN_LABEL_MAX_LENGTH, TOKEN_LIFETIME_MAX_DAYS } from '@ledger/domain';
import { Write } from '../http/write-context.decorator';
import { CurrentActor } from '../edge/request-context';

class AddUserDto {
  @ApiProperty({ example: 'alice', description: '2–32 lowercase letters, digits, "_" or "-"' })
  @IsString()
  userId!: string;

  @ApiProperty({ example: 'Alice Wang (finance)' })
  @IsString()
  @MaxLength(DISPLAY_NAME_MAX_LENGTH)
  displayName!: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role!: Role;
}

class ChangeRoleDto {
  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role!: Role;
}

class IssueTokenDto {
  @ApiPropertyOptional({ example: 'laptop in room 204' })
  @IsOptional()
  @IsString()
  @MaxLength(TOKEN_LABEL_MAX_LENGTH)
  label?: string;

  @ApiPropertyOptional({ example: 90, description: 'days until the token expires (default 90)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(TOKEN_LIFETIME_MAX_DAYS)
  expiresInDays?: number;
}

class RevokeTokenDto {
  @ApiProperty({ example: 'laptop lost' })
  @IsString()
  @MaxLength(ACCESS_REASON_MAX_LENGTH)
  reason!: string;
}

/** Users and tokens over HTTP, for admins (the CLI does the same on the machine itself). */
@ApiTags('access')
@ApiBearerAuth()
@Controller()
export class UsersController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Get('me')
  @ApiOperation({ summary: 'Who the token belongs to, and its role' })
  me(@CurrentActor() actor: Actor) {
    return { userId: actor.id, role: actor.role, tokenId: actor.tokenId };
  }

  @Get('users')
  @ApiOperation({ summary: 'Users, their tokens (never the secrets) and who granted or revoked what, when' })
  async users() {
    return { users: await this.queryBus.execute(new ListUsersQuery()) };
  }

  @Post('users')
  @ApiOperation({ summary: 'Add a user with a role' })
  async addUser(@Body() body: AddUserDto, @Write() write: WriteContext) {
    await this.commandBus.execute(new AddUserCommand({ userId: body.userId, displayName: body.displayName, role: body.role }, write));
    return { userId: body.userId, role: body.role };
  }

  @Post('users/:userId/role')
  @HttpCode(200)
  @ApiOperation({ summary: "Change a user's role" })
  async changeRole(@Param('userId') userId: string, @Body() body: ChangeRoleDto, @Write() write: WriteContext) {
    await this.commandBus.execute(new ChangeUserRoleCommand(userId, body.role, write));
    return { userId, role: body.role };
  }

  @Post('users/:userId/tokens')
  @ApiOperation({ summary: 'Issue a token for a user: the answer is the only place the token ever appears' })
  async issueToken(@Param('userId') userId: string, @Body() body: IssueTokenDto, @Write() write: WriteContext) {
    return this.commandBus.execute(new IssueTokenCommand(userId, { label: body.label, expiresInDays: body.expiresInDays ?? 90 }, write));
  }

  @Post('tokens/:tokenId/revocation')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a token, effective at once' })
  async revoke(@Param('tokenId') tokenId: string, @Body() body: RevokeTokenDto, @Write() write: WriteContext) {
    await this.commandBus.execute(new RevokeTokenCommand(tokenId, body.reason, write));
    return { tokenId, revoked: true };
  }
}

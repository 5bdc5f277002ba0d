import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { AccessControl, Actor, WriteContext } from '@ledger/application';
import { ROLES, Role } from '@ledger/domain';
import { Write } from '../http/write-context.decorator';
import { CurrentActor } from '../edge/request-context';

class AddUserDto {
  @ApiProperty({ example: 'alice', description: '2–32 lowercase letters, digits, "_" or "-"' })
  @IsString()
  userId!: string;

  @ApiProperty({ example: 'Alice Wang (finance)' })
  @IsString()
  @MaxLength(100)
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
  @MaxLength(100)
  label?: string;

  @ApiPropertyOptional({ example: 90, description: 'days until the token expires (default 90)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  expiresInDays?: number;
}

class RevokeTokenDto {
  @ApiProperty({ example: 'laptop lost' })
  @IsString()
  @MaxLength(1000)
  reason!: string;
}

/** Users and tokens over HTTP, for admins (the CLI does the same on the machine itself). */
@ApiTags('access')
@ApiBearerAuth()
@Controller()
export class UsersController {
  constructor(private readonly access: AccessControl) {}

  @Get('me')
  @ApiOperation({ summary: 'Who the token belongs to, and its role' })
  me(@CurrentActor() actor: Actor) {
    return { userId: actor.id, role: actor.role, tokenId: actor.tokenId };
  }

  @Get('users')
  @ApiOperation({ summary: 'Users, their tokens (never the secrets) and who granted or revoked what, when' })
  async users() {
    return { users: await this.access.listUsers() };
  }

  @Post('users')
  @ApiOperation({ summary: 'Add a user with a role' })
  async addUser(@Body() body: AddUserDto, @Write() write: WriteContext) {
    await this.access.execute({ type: 'AddUser', data: { userId: body.userId, displayName: body.displayName, role: body.role } }, write);
    return { userId: body.userId, role: body.role };
  }

  @Post('users/:userId/role')
  @HttpCode(200)
  @ApiOperation({ summary: "Change a user's role" })
  async changeRole(@Param('userId') userId: string, @Body() body: ChangeRoleDto, @Write() write: WriteContext) {
    await this.access.execute({ type: 'ChangeUserRole', data: { userId, role: body.role } }, write);
    return { userId, role: body.role };
  }

  @Post('users/:userId/tokens')
  @ApiOperation({ summary: 'Issue a token for a user: the answer is the only place the token ever appears' })
  async issueToken(@Param('userId') userId: string, @Body() body: IssueTokenDto, @Write() write: WriteContext) {
    return this.access.issueToken(userId, write, { label: body.label, expiresInDays: body.expiresInDays ?? 90 });
  }

  @Post('tokens/:tokenId/revocation')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a token, effective at once' })
  async revoke(@Param('tokenId') tokenId: string, @Body() body: RevokeTokenDto, @Write() write: WriteContext) {
    await this.access.execute({ type: 'RevokeToken', data: { tokenId, reason: body.reason } }, write);
    return { tokenId, revoked: true };
  }
}

import { CanActivate, ExecutionContext, ForbiddenException, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { AccessControl } from '@ledger/application';
import { guardedRequestOf } from '../edge/request-context';
import { PUBLIC, ROUTE_ROLES, routeKey } from './route-permissions';

const REASONS: Record<string, string> = {
  malformed: 'the bearer token is malformed',
  unknown_token: 'the bearer token is not valid',
  revoked: 'the bearer token was revoked',
  expired: 'the bearer token has expired',
  user_disabled: 'the user of this token is disabled',
};

/**
 * Every request: find the route in the role matrix, authenticate the bearer token, check the
 * role. 401 without valid credentials, 403 for a role the matrix does not list.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly logger = new Logger('AccessGuard');

  constructor(private readonly access: AccessControl) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = guardedRequestOf(context);
    // HEAD is GET without the body (the framework answers it from the GET route): the same roles.
    const key = routeKey(request.method === 'HEAD' ? 'GET' : request.method, request.route);
    const allowed = ROUTE_ROLES[key];
    if (allowed === undefined) {
      this.logger.error(`route ${key} is not in the role matrix: refused to everyone`);
      throw new ForbiddenException('this route is not open to any role');
    }
    if (allowed === PUBLIC) return true;

    const header = request.header('authorization');
    const bearer = header?.match(/^Bearer (\S+)$/i)?.[1];
    if (!bearer) {
      request.setResponseHeader('WWW-Authenticate', 'Bearer realm="student-aid-ledger"');
      throw new UnauthorizedException('send "Authorization: Bearer <token>"');
    }
    const result = await this.access.authenticate(bearer);
    if (!result.ok) {
      request.setResponseHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw new UnauthorizedException(REASONS[result.reason]);
    }
    request.authenticated(result.actor);
    if (!allowed.includes(result.actor.role)) {
      throw new ForbiddenException(`the role ${result.actor.role} may not call ${key}`);
    }
    return true;
  }
}

import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AuditService, auditCaller, auditResource } from '../audit/audit.service';
import { ForbiddenError, UnauthorizedError } from '../errors/app-errors';
import type { AuthUser } from './auth-user';
import { PERMISSIONS_KEY, PUBLIC_KEY } from './auth.decorators';
import { AuthService } from './auth.service';

/** The cookie the dashboard keeps its token in (same JWT as the Bearer header). */
export const SESSION_COOKIE = 'vecron_session';

/** The bearer token of a request: `Authorization: Bearer <jwt>`, else the `vecron_session` cookie. */
export function tokenOf(req: Request): string | null {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m ? m[1]! : null;
  }
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return value ? decodeURIComponent(value) : null;
    }
  }
  return null;
}

/**
 * The one global guard: @Public() routes are open (a valid token still sets request.user);
 * every other route needs a valid token (401) and every permission its @RequirePermissions
 * lists (403 `missing permission X`, written to the audit log). A route with neither
 * declaration is refused: forgetting one never opens a route.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly audit: AuditService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    const targets = [ctx.getHandler(), ctx.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_KEY, targets) === true;
    const token = tokenOf(req);
    const user = token ? await this.auth.authenticate(token) : null;
    if (user) req.user = user;
    if (isPublic) return true;
    if (!user) throw new UnauthorizedError(token ? 'invalid, expired or revoked token' : 'authentication required');
    const required = this.reflector.getAllAndOverride<string[] | undefined>(PERMISSIONS_KEY, targets);
    const missing = required === undefined ? 'a permission declaration on this route' : required.find((p) => !user.permissions.includes(p));
    if (missing === undefined) return true;
    await this.audit.record({
      ...auditCaller(req, user),
      action: 'permission.denied',
      resource: auditResource(req),
      result: 'denied',
      status_code: 403,
      details: { method: req.method, missing },
    });
    throw new ForbiddenError(`missing permission ${missing}`);
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { AuthUser } from '../auth/auth-user';
import { SESSION_COOKIE } from '../auth/auth.guard';
import { AuthService } from '../auth/auth.service';
import { ADMIN_ROLE } from '../auth/permissions';
import { API_CONFIG, type ApiEnv } from '../config/api.env';
import { AppError, TooManyRequestsError } from '../errors/app-errors';

/** The signed-in user as the dashboard sees it: the auth module's AuthUser. */
export type DashboardUser = AuthUser;

export type LoginOutcome =
  | { ok: true; token: string; expiresInSeconds: number; user: DashboardUser; mustChangePassword: boolean }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'rate_limited'; retryAfterSeconds: number };

/** The cookie holding the session: the same JWT as the API's Bearer token (read by the AuthGuard). */
export { SESSION_COOKIE };

/**
 * The one seam between the dashboard and the auth module: sign in (the same AuthService as
 * `POST /api/auth/login`: rate limit, audit), change the password, who is signed in (set on
 * `request.user` by the global AuthGuard, also on the dashboard's @Public pages), which mode.
 */
@Injectable()
export class DashboardAuth {
  readonly mode: 'database' | 'keycloak';

  constructor(private readonly auth: AuthService, @Inject(API_CONFIG) config: ApiEnv) {
    this.mode = config.AUTH_MODE;
  }

  async login(username: string, password: string, req: Request): Promise<LoginOutcome> {
    try {
      const answer = await this.auth.login(username, password, req);
      return {
        ok: true,
        token: answer.access_token,
        expiresInSeconds: answer.expires_in,
        user: answer.user,
        mustChangePassword: answer.user.must_change_password,
      };
    } catch (err) {
      if (err instanceof TooManyRequestsError) return { ok: false, reason: 'rate_limited', retryAfterSeconds: err.retryAfterSeconds };
      // Never say which part was wrong (the auth module's 401, or a keycloak-mode refusal).
      if (err instanceof AppError && err.status < 500) return { ok: false, reason: 'invalid' };
      throw err;
    }
  }

  /** Null when changed; otherwise the reason to show. */
  async changePassword(user: DashboardUser, current: string, next: string): Promise<string | null> {
    try {
      await this.auth.changePassword(user, current, next);
      return null;
    } catch (err) {
      if (err instanceof AppError && err.status < 500) return err.details?.length ? err.details.map((d) => d.message).join('; ') : err.message;
      throw err;
    }
  }

  /** The user the request is signed in as, or null. */
  userOf(req: Request): DashboardUser | null {
    return (req as Request & { user?: DashboardUser }).user ?? null;
  }
}

/** Whether the user holds a permission. */
export function hasPermission(user: DashboardUser | null, permission: string): boolean {
  return !!user && user.permissions.includes(permission);
}

/** The header's Admin badge: the Admin role, or the dashboard's admin permission. */
export function isAdmin(user: DashboardUser | null): boolean {
  return !!user && (user.roles.includes(ADMIN_ROLE) || hasPermission(user, 'dashboard:admin'));
}

import { Injectable } from '@nestjs/common';
import type { Request } from 'express';

/** The signed-in user as the dashboard sees it (the auth module's AuthUser). */
export interface DashboardUser {
  id: string;
  username: string;
  roles: string[];
  permissions: string[];
}

export type LoginOutcome =
  | { ok: true; token: string; expiresInSeconds: number; user: DashboardUser; mustChangePassword: boolean }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'rate_limited'; retryAfterSeconds: number };

/** Where the session cookie's JWT comes from; the auth module checks it on every request. */
export const SESSION_COOKIE = 'vecron_session';

const PRE_AUTH_TOKEN = 'pre-auth-placeholder';
const PRE_AUTH_ADMIN: DashboardUser = { id: '00000000-0000-0000-0000-000000000000', username: 'admin', roles: ['Admin'], permissions: ['*'] };

/**
 * The one seam between the dashboard and the auth module: sign in, who is signed in, which mode.
 * Placeholder until the auth module lands (replaced at the merge by calls to it).
 */
@Injectable()
export class DashboardAuth {
  readonly mode: 'database' | 'keycloak' = 'database';

  async login(username: string, password: string, _meta: { ip: string; userAgent: string }): Promise<LoginOutcome> {
    if (username === 'admin' && password === 'admin123') {
      return { ok: true, token: PRE_AUTH_TOKEN, expiresInSeconds: 3600, user: PRE_AUTH_ADMIN, mustChangePassword: false };
    }
    return { ok: false, reason: 'invalid' };
  }

  async changePassword(_user: DashboardUser, _current: string, _next: string): Promise<string | null> {
    return null;
  }

  /** The user the request is signed in as, or null. */
  userOf(req: Request): DashboardUser | null {
    const fromGuard = (req as Request & { user?: DashboardUser }).user;
    if (fromGuard) return fromGuard;
    const cookies = (req as Request & { cookies?: Record<string, string> }).cookies ?? {};
    return cookies[SESSION_COOKIE] === PRE_AUTH_TOKEN ? PRE_AUTH_ADMIN : null;
  }
}

/** Whether the user holds a permission (`*` stands for all). */
export function hasPermission(user: DashboardUser | null, permission: string): boolean {
  return !!user && (user.permissions.includes('*') || user.permissions.includes(permission));
}

export function isAdmin(user: DashboardUser | null): boolean {
  return !!user && (user.roles.includes('Admin') || hasPermission(user, 'dashboard:admin'));
}

import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Request } from 'express';
import { AuditService, auditCaller } from '../audit/audit.service';
import { API_CONFIG, type ApiEnv } from '../config/api.env';
import { ConflictError, RequestValidationError, TooManyRequestsError, UnauthorizedError } from '../errors/app-errors';
import { RolesRepository, UsersRepository, type UserRecord } from '../users/users.repository';
import type { AuthUser } from './auth-user';
import { KeycloakTokenVerifier } from './keycloak-token.verifier';
import { LoginRateLimiter } from './login-rate-limiter';
import { ADMIN_ROLE, BUILT_IN_ROLES, PERMISSIONS, isPermission } from './permissions';
import { DUMMY_HASH, hashPassword, verifyPassword } from './password-hasher';
import { TokenService } from './token.service';

/** The first start's administrator (must change the password at first login). */
export const INITIAL_ADMIN = { username: 'admin', password: 'admin123' } as const;
/** Every failed login answers this, whatever was wrong. */
export const LOGIN_FAILED_MESSAGE = 'invalid username or password';

export interface LoginAnswer {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  user: AuthUser & { must_change_password: boolean };
}


/** Logins, password changes, and turning a bearer token into the request's AuthUser (both modes). */
@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiEnv,
    private readonly users: UsersRepository,
    private readonly roles: RolesRepository,
    private readonly tokens: TokenService,
    private readonly keycloak: KeycloakTokenVerifier,
    private readonly limiter: LoginRateLimiter,
    private readonly audit: AuditService,
  ) {}

  /** First start: the built-in roles, and `admin` / `admin123` when there is no user at all. */
  async onApplicationBootstrap(): Promise<void> {
    // Every statement is idempotent: replicas starting together end in the same state.
    for (const role of BUILT_IN_ROLES) {
      if (role.name === ADMIN_ROLE) await this.roles.syncBuiltIn(role.name, role.permissions);
      else await this.roles.insert(role.name, role.permissions, true);
    }
    if (this.config.AUTH_MODE !== 'database' || (await this.users.count()) > 0) return;
    if (await this.users.createInitialUser(INITIAL_ADMIN.username, await hashPassword(INITIAL_ADMIN.password), ADMIN_ROLE)) {
      this.logger.warn({ username: INITIAL_ADMIN.username }, 'created the initial administrator; its password must be changed at first login');
    }
  }

  async login(username: string, password: string, req: Request): Promise<LoginAnswer> {
    if (this.config.AUTH_MODE !== 'database') throw new ConflictError('logins are handled by Keycloak (AUTH_MODE=keycloak)');
    const caller = auditCaller(req);
    const address = caller.address ?? 'unknown';
    const wait = await this.limiter.blockedFor(address);
    if (wait > 0) {
      await this.audit.record({ ...caller, username: username.slice(0, 200), action: 'auth.login', resource: '/api/auth/login', result: 'denied', status_code: 429, details: { reason: 'rate_limited' } });
      throw new TooManyRequestsError('too many failed logins; try again later', wait);
    }
    const user = await this.users.findByUsername(username);
    const ok = await verifyPassword(password, user?.password_hash ?? DUMMY_HASH);
    if (!user || !ok || !user.enabled) {
      await this.limiter.recordFailure(address);
      await this.audit.record({
        ...caller, user_id: user?.id ?? null, username: username.slice(0, 200), action: 'auth.login', resource: '/api/auth/login', result: 'failure', status_code: 401,
      });
      throw new UnauthorizedError(LOGIN_FAILED_MESSAGE);
    }
    await this.users.recordLogin(user.id);
    const authUser = toAuthUser(user);
    await this.audit.record({ ...auditCaller(req, authUser), action: 'auth.login', resource: '/api/auth/login', result: 'success', status_code: 200 });
    return {
      access_token: await this.tokens.issue(authUser, user.token_version),
      token_type: 'Bearer',
      expires_in: this.tokens.expiresInSeconds,
      user: { ...authUser, must_change_password: user.must_change_password },
    };
  }

  /** Changes the caller's own password (current one required); revokes their other tokens. */
  async changePassword(caller: AuthUser, currentPassword: string, newPassword: string): Promise<void> {
    if (this.config.AUTH_MODE !== 'database') throw new ConflictError('passwords are managed by Keycloak (AUTH_MODE=keycloak)');
    const user = await this.users.findById(caller.id);
    if (!user || !(await verifyPassword(currentPassword, user.password_hash))) throw new UnauthorizedError('current password is wrong');
    if (newPassword === currentPassword) throw new RequestValidationError([{ path: 'new_password', message: 'must differ from the current password' }]);
    await this.users.update(user.id, { passwordHash: await hashPassword(newPassword), mustChangePassword: false });
  }

  /** The user a bearer token stands for; null when it is missing, malformed, expired or revoked. */
  async authenticate(token: string): Promise<AuthUser | null> {
    if (this.config.AUTH_MODE === 'keycloak') {
      const claims = await this.keycloak.verify(token);
      if (!claims) return null;
      const roles = this.keycloak.rolesOf(claims);
      return { id: claims.sub, username: claims.preferred_username ?? claims.sub, roles, permissions: await this.permissionsOf(roles) };
    }
    const claims = await this.tokens.verify(token);
    if (!claims) return null;
    // Checked on each request: a role change, disable or password reset revokes at once.
    const state = await this.users.tokenState(claims.sub);
    if (!state || !state.enabled || state.token_version !== claims.tv) return null;
    return { id: claims.sub, username: claims.username, roles: claims.roles, permissions: claims.permissions };
  }

  /** Keycloak roles → permissions: a role named like a vecron role grants its permissions; a role named like a permission grants it. */
  private async permissionsOf(roleNames: string[]): Promise<string[]> {
    const granted = new Set<string>(roleNames.filter(isPermission));
    if (roleNames.length) for (const r of await this.roles.findByNames(roleNames)) for (const p of r.permissions) granted.add(p);
    return PERMISSIONS.filter((p) => granted.has(p));
  }
}

export function toAuthUser(u: UserRecord): AuthUser {
  return { id: u.id, username: u.username, roles: u.roles, permissions: u.permissions };
}

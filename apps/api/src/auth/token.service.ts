import { Inject, Injectable, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomBytes } from 'crypto';
import { API_CONFIG, type ApiEnv } from '../config/api.env';
import type { AuthUser } from './auth-user';

/** Claims of a token the api issues (database mode). */
export interface ApiTokenClaims {
  sub: string;
  username: string;
  roles: string[];
  permissions: string[];
  /** The user's token_version when the token was issued; a higher one in the database revokes it. */
  tv: number;
}

const ISSUER = 'vecron-api';

/** Issues and verifies the api's own HS256 access tokens (AUTH_MODE=database). */
@Injectable()
export class TokenService {
  private readonly jwt: JwtService;

  constructor(@Inject(API_CONFIG) private readonly config: ApiEnv) {
    let secret = config.JWT_SECRET;
    if (!secret) {
      // Development default: a random secret per process (never a fixed one). Tokens do not
      // survive a restart and are not shared by replicas: set JWT_SECRET for real installations.
      secret = randomBytes(48).toString('base64url');
      if (config.AUTH_MODE === 'database') new Logger(TokenService.name).warn('JWT_SECRET is empty: using a random secret for this process only');
    }
    this.jwt = new JwtService({ secret, signOptions: { algorithm: 'HS256', issuer: ISSUER }, verifyOptions: { algorithms: ['HS256'], issuer: ISSUER } });
  }

  get expiresInSeconds(): number {
    return this.config.JWT_EXPIRES_IN_SECONDS;
  }

  issue(user: AuthUser, tokenVersion: number): Promise<string> {
    const claims: ApiTokenClaims = { sub: user.id, username: user.username, roles: user.roles, permissions: user.permissions, tv: tokenVersion };
    return this.jwt.signAsync(claims, { expiresIn: this.config.JWT_EXPIRES_IN_SECONDS });
  }

  /** The claims of a valid, unexpired token; null otherwise (never says why). */
  async verify(token: string): Promise<ApiTokenClaims | null> {
    try {
      const c = await this.jwt.verifyAsync<ApiTokenClaims & { exp?: number }>(token);
      if (typeof c.sub !== 'string' || typeof c.tv !== 'number' || !Array.isArray(c.permissions) || !Array.isArray(c.roles)) return null;
      return c;
    } catch {
      return null;
    }
  }
}

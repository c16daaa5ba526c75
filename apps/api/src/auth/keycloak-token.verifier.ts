import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createPublicKey, type JsonWebKey, type KeyObject } from 'crypto';
import { API_CONFIG, type ApiEnv } from '../config/api.env';

/** The claims the api reads from a Keycloak access token. */
export interface KeycloakClaims {
  sub: string;
  preferred_username?: string;
  realm_access?: { roles?: unknown };
  resource_access?: Record<string, { roles?: unknown } | undefined>;
}

interface Jwk extends JsonWebKey {
  kid?: string;
  use?: string;
}

/** A token whose key id is unknown is looked up again at most this often (key rotation). */
const UNKNOWN_KID_COOLDOWN_MS = 10_000;
const FETCH_TIMEOUT_MS = 5_000;

/**
 * Validates Keycloak access tokens (AUTH_MODE=keycloak): signature against the realm's JWKS,
 * issuer `{KEYCLOAK_URL}/realms/{KEYCLOAK_REALM}`, audience KEYCLOAK_CLIENT_ID, expiry.
 * The keys are cached: re-read every KEYCLOAK_JWKS_REFRESH_SECONDS in the background and when a
 * token names an unknown key; while Keycloak is unreachable the last keys read stay in use.
 */
@Injectable()
export class KeycloakTokenVerifier implements OnApplicationBootstrap {
  private readonly logger = new Logger(KeycloakTokenVerifier.name);
  private readonly jwt: JwtService;
  private keys = new Map<string, KeyObject>();
  private fetchedAt = 0;
  private attemptedAt = 0;
  private refreshing: Promise<void> | null = null;

  constructor(@Inject(API_CONFIG) private readonly config: ApiEnv) {
    this.jwt = new JwtService({
      secretOrKeyProvider: (_type, token) => this.keyOf(typeof token === 'string' ? token : ''),
      verifyOptions: { algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384'], issuer: this.issuer, audience: config.KEYCLOAK_CLIENT_ID },
    });
  }

  get issuer(): string {
    return `${this.config.KEYCLOAK_URL}/realms/${this.config.KEYCLOAK_REALM}`;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.AUTH_MODE !== 'keycloak') return;
    // Not fatal: the api starts while Keycloak is down, and reads the keys at the first token.
    await this.refresh().catch(() => undefined);
  }

  /** The claims of a valid token; null for a bad, expired or foreign one (or no known key). */
  async verify(token: string): Promise<KeycloakClaims | null> {
    const kid = this.kidOf(token);
    if (kid === null) return null;
    if (!this.keys.has(kid) && Date.now() - this.attemptedAt > UNKNOWN_KID_COOLDOWN_MS) await this.refresh().catch(() => undefined);
    else if (Date.now() - this.fetchedAt > this.config.KEYCLOAK_JWKS_REFRESH_SECONDS * 1000) void this.refresh().catch(() => undefined);
    if (!this.keys.has(kid)) return null;
    try {
      const c = await this.jwt.verifyAsync<KeycloakClaims>(token);
      return typeof c.sub === 'string' ? c : null;
    } catch {
      return null;
    }
  }

  /** Roles from the token: realm roles plus this client's roles. */
  rolesOf(c: KeycloakClaims): string[] {
    const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    return [...new Set([...list(c.realm_access?.roles), ...list(c.resource_access?.[this.config.KEYCLOAK_CLIENT_ID]?.roles)])];
  }

  /** Re-reads the realm's keys (one read at a time); on failure the cached keys stay. */
  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async load(): Promise<void> {
    this.attemptedAt = Date.now();
    try {
      const discovery = (await this.getJson(`${this.issuer}/.well-known/openid-configuration`)) as { jwks_uri?: unknown; issuer?: unknown };
      if (typeof discovery.jwks_uri !== 'string') throw new Error('discovery document without jwks_uri');
      const jwks = (await this.getJson(discovery.jwks_uri)) as { keys?: Jwk[] };
      const keys = new Map<string, KeyObject>();
      for (const k of jwks.keys ?? []) {
        if (!k.kid || (k.use && k.use !== 'sig')) continue;
        try {
          keys.set(k.kid, createPublicKey({ key: k, format: 'jwk' }));
        } catch {
          // A key type node cannot read is skipped; the others still serve.
        }
      }
      if (keys.size === 0) throw new Error('no signing keys in the JWKS');
      this.keys = keys;
      this.fetchedAt = Date.now();
      this.logger.log({ keys: keys.size }, 'keycloak signing keys loaded');
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message }, cached_keys: this.keys.size }, 'keycloak signing keys not refreshed; the cached keys stay in use');
      throw err;
    }
  }

  private async getJson(url: string): Promise<unknown> {
    const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`GET ${url} → ${res.status}`);
    return res.json();
  }

  private kidOf(token: string): string | null {
    const decoded = this.jwt.decode<{ header?: { kid?: unknown } } | null>(token, { complete: true });
    const kid = decoded?.header?.kid;
    return typeof kid === 'string' ? kid : null;
  }

  private keyOf(token: string): KeyObject {
    const kid = this.kidOf(token);
    const key = kid === null ? undefined : this.keys.get(kid);
    if (!key) throw new Error('unknown signing key');
    return key;
  }
}

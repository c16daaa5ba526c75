import { createHash } from 'node:crypto';

export interface OAuth2TokenCacheOptions {
  /** Clock in epoch milliseconds (tests pass a fake one). Default Date.now. */
  now?: () => number;
  /** A token is dropped this many seconds before `expires_in` ends. Default 30. */
  skewSeconds?: number;
  /** Lifetime assumed when the token response has no `expires_in`. Default 300. */
  defaultTtlSeconds?: number;
  /** At most this many tokens are kept; the oldest is dropped beyond. Default 1000. */
  maxEntries?: number;
}

export interface OAuth2CacheKeyParts {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
}

interface Entry {
  accessToken: string;
  expiresAt: number;
}

/**
 * In-process cache of OAuth2 client-credentials access tokens, keyed by
 * (token_url, client_id, scope, hash of client_secret). One instance is owned by
 * an HttpExecutor, so tokens live across executions in one worker process.
 *
 * The secret's hash is part of the key so that a step with a wrong secret never
 * borrows a token obtained with the right one. A token is served until
 * `expires_in` minus a skew (30 s; half the lifetime for very short tokens).
 */
export class OAuth2TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly skewSeconds: number;
  private readonly defaultTtlSeconds: number;
  private readonly maxEntries: number;

  constructor(options: OAuth2TokenCacheOptions = {}) {
    this.now = options.now ?? Date.now;
    this.skewSeconds = options.skewSeconds ?? 30;
    this.defaultTtlSeconds = options.defaultTtlSeconds ?? 300;
    this.maxEntries = options.maxEntries ?? 1000;
  }

  /** The cache key for one client; never contains the secret itself. */
  static key(parts: OAuth2CacheKeyParts): string {
    const secretHash = createHash('sha256').update(parts.clientSecret).digest('hex').slice(0, 32);
    return JSON.stringify([parts.tokenUrl, parts.clientId, parts.scope ?? '', secretHash]);
  }

  /** A still-valid access token, or undefined (an expired entry is removed). */
  get(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() >= entry.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.accessToken;
  }

  /**
   * Stores a token for `expiresInSeconds` (the token response's `expires_in`) minus the
   * skew. A lifetime of 0 or less is not cached.
   */
  set(key: string, accessToken: string, expiresInSeconds?: number): void {
    const lifetime = expiresInSeconds ?? this.defaultTtlSeconds;
    if (!(lifetime > 0)) {
      this.entries.delete(key);
      return;
    }
    const usable = lifetime > 2 * this.skewSeconds ? lifetime - this.skewSeconds : lifetime / 2;
    this.entries.delete(key); // re-insert at the end: Map order is the eviction order
    this.entries.set(key, { accessToken, expiresAt: this.now() + usable * 1000 });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /**
   * Drops the cached token for `key`. With `accessToken`, only when it is still the
   * cached one (another execution may already have stored a fresh token).
   */
  invalidate(key: string, accessToken?: string): void {
    const entry = this.entries.get(key);
    if (entry && (accessToken === undefined || entry.accessToken === accessToken)) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

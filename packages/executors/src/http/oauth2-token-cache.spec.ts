import { OAuth2TokenCache } from './oauth2-token-cache';

describe('OAuth2TokenCache', () => {
  let now: number;
  let cache: OAuth2TokenCache;
  beforeEach(() => {
    now = 0;
    cache = new OAuth2TokenCache({ now: () => now, skewSeconds: 30, maxEntries: 2 });
  });

  it('serves a token until expires_in minus the skew', () => {
    cache.set('k', 'tok', 100);
    now = 69_999;
    expect(cache.get('k')).toBe('tok');
    now = 70_000;
    expect(cache.get('k')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('uses half the lifetime of a very short token, and never caches a non-positive one', () => {
    cache.set('short', 'tok', 10);
    now = 4_999;
    expect(cache.get('short')).toBe('tok');
    now = 5_000;
    expect(cache.get('short')).toBeUndefined();
    cache.set('zero', 'tok', 0);
    expect(cache.get('zero')).toBeUndefined();
  });

  it('assumes the default lifetime without expires_in', () => {
    const c = new OAuth2TokenCache({ now: () => now, defaultTtlSeconds: 300, skewSeconds: 30 });
    c.set('k', 'tok');
    now = 269_000;
    expect(c.get('k')).toBe('tok');
    now = 270_000;
    expect(c.get('k')).toBeUndefined();
  });

  it('invalidates only the token that was refused', () => {
    cache.set('k', 'new');
    cache.invalidate('k', 'old');
    expect(cache.get('k')).toBe('new');
    cache.invalidate('k', 'new');
    expect(cache.get('k')).toBeUndefined();
  });

  it('drops the oldest entry beyond maxEntries', () => {
    cache.set('a', '1');
    cache.set('b', '2');
    cache.set('c', '3');
    expect(cache.get('a')).toBeUndefined();
    expect([cache.get('b'), cache.get('c')]).toEqual(['2', '3']);
  });

  it('keys by token url, client, scope and secret without containing the secret', () => {
    const base = { tokenUrl: 'https://idp/token', clientId: 'c', clientSecret: 'super-secret' };
    const key = OAuth2TokenCache.key(base);
    expect(key).not.toContain('super-secret');
    expect(OAuth2TokenCache.key({ ...base })).toBe(key);
    expect(OAuth2TokenCache.key({ ...base, scope: 'read' })).not.toBe(key);
    expect(OAuth2TokenCache.key({ ...base, clientSecret: 'other' })).not.toBe(key);
    expect(OAuth2TokenCache.key({ ...base, clientId: 'd' })).not.toBe(key);
  });
});

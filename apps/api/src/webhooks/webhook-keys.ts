import { randomBytes } from 'crypto';

/** URL keys: 24 random bytes (192 bits), base64url — 32 URL-safe characters. */
export function newWebhookKey(): string {
  return randomBytes(24).toString('base64url');
}

/** HMAC secrets: 32 random bytes (256 bits), base64url, with a recognisable prefix. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

const KEY = /^[A-Za-z0-9_-]{16,128}$/;

/** A string that cannot be a key is answered 404 without a database lookup. */
export function isPlausibleWebhookKey(key: string): boolean {
  return KEY.test(key);
}

/** The path of a job's webhook. */
export function webhookPath(key: string): string {
  return `/webhooks/${key}`;
}

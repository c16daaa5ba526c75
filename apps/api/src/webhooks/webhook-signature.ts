import { createHmac, timingSafeEqual } from 'crypto';

/** `X-Webhook-Signature: sha256=<hex>`: HMAC-SHA256 of the raw body (or of `{timestamp}.{body}`). */
export const SIGNATURE_HEADER = 'x-webhook-signature';
/** `X-Webhook-Timestamp: <unix seconds>`: when present, it is signed with the body and must be recent. */
export const TIMESTAMP_HEADER = 'x-webhook-timestamp';

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;
const TIMESTAMP = /^\d{1,12}$/;

/** The bytes the signature covers: the body, or `{timestamp}.{body}` when a timestamp is sent. */
function signedContent(body: Buffer, timestamp: string | null): Buffer {
  return timestamp === null ? body : Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), body]);
}

/** The header value a sender puts in `X-Webhook-Signature`. */
export function signWebhook(secret: string, body: Buffer | string, timestamp?: string | number): string {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const mac = createHmac('sha256', secret).update(signedContent(buf, timestamp === undefined ? null : String(timestamp))).digest('hex');
  return `sha256=${mac}`;
}

export interface VerifyWebhookOptions {
  secret: string;
  body: Buffer;
  signature: string | string[] | undefined;
  timestamp: string | string[] | undefined;
  nowMs: number;
  toleranceSeconds: number;
  requireTimestamp: boolean;
}

/** Why a signature was refused: logged, never told to the caller. */
export type SignatureFailure = 'missing_signature' | 'malformed_signature' | 'missing_timestamp' | 'malformed_timestamp' | 'bad_signature' | 'stale_timestamp';

export type SignatureCheck = { ok: true; signature: string; timestamp: number | null } | { ok: false; reason: SignatureFailure };

const single = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? (v.length === 1 ? v[0] : undefined) : v);

/**
 * Checks a webhook signature in constant time (`timingSafeEqual` on two 32-byte digests).
 * With a timestamp, the signature covers `{timestamp}.{body}` and the timestamp must be within
 * `toleranceSeconds` of now, so a captured request cannot be replayed later.
 */
export function verifyWebhookSignature(o: VerifyWebhookOptions): SignatureCheck {
  const sig = single(o.signature)?.trim();
  if (!sig) return { ok: false, reason: 'missing_signature' };
  const m = SIGNATURE.exec(sig);
  if (!m) return { ok: false, reason: 'malformed_signature' };
  const ts = single(o.timestamp)?.trim();
  if (ts === undefined || ts === '') {
    if (o.requireTimestamp || o.timestamp !== undefined) return { ok: false, reason: 'missing_timestamp' };
  } else if (!TIMESTAMP.test(ts)) {
    return { ok: false, reason: 'malformed_timestamp' };
  }
  const timestamp = ts === undefined || ts === '' ? null : ts;
  const expected = createHmac('sha256', o.secret).update(signedContent(o.body, timestamp)).digest();
  const given = Buffer.from(m[1]!, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' };
  if (timestamp !== null && Math.abs(o.nowMs - Number(timestamp) * 1000) > o.toleranceSeconds * 1000) return { ok: false, reason: 'stale_timestamp' };
  return { ok: true, signature: m[1]!.toLowerCase(), timestamp: timestamp === null ? null : Number(timestamp) };
}

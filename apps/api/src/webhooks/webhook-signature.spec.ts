import { createHmac } from 'crypto';
import { signWebhook, verifyWebhookSignature, type VerifyWebhookOptions } from './webhook-signature';

const SECRET = 'whsec_test-secret-0123456789';
const BODY = Buffer.from('{"order_id":"A-1"}');
const NOW = 1_800_000_000_000;

const opts = (over: Partial<VerifyWebhookOptions> = {}): VerifyWebhookOptions => ({
  secret: SECRET, body: BODY, signature: undefined, timestamp: undefined, nowMs: NOW, toleranceSeconds: 300, requireTimestamp: false, ...over,
});

describe('webhook signatures', () => {
  it('signs HMAC-SHA256 of the raw body, or of "{timestamp}.{body}"', () => {
    expect(signWebhook(SECRET, BODY)).toBe(`sha256=${createHmac('sha256', SECRET).update(BODY).digest('hex')}`);
    expect(signWebhook(SECRET, BODY, 1700)).toBe(`sha256=${createHmac('sha256', SECRET).update(`1700.${BODY.toString()}`).digest('hex')}`);
  });

  it('accepts a good signature with and without a timestamp (hex in any case)', () => {
    expect(verifyWebhookSignature(opts({ signature: signWebhook(SECRET, BODY) }))).toMatchObject({ ok: true, timestamp: null });
    const ts = String(NOW / 1000 - 60);
    const sig = signWebhook(SECRET, BODY, ts);
    expect(verifyWebhookSignature(opts({ signature: sig, timestamp: ts }))).toMatchObject({ ok: true, timestamp: Number(ts) });
    expect(verifyWebhookSignature(opts({ signature: `sha256=${sig.slice(7).toUpperCase()}`, timestamp: ts })).ok).toBe(true);
  });

  it.each([
    ['no header', undefined, undefined, 'missing_signature'],
    ['not sha256=', 'sha1=abcd', undefined, 'malformed_signature'],
    ['short hex', `sha256=${'a'.repeat(63)}`, undefined, 'malformed_signature'],
    ['two headers', [signWebhook(SECRET, BODY), signWebhook(SECRET, BODY)], undefined, 'missing_signature'],
    ['wrong secret', signWebhook('another-secret-value', BODY), undefined, 'bad_signature'],
    ['body signature sent with a timestamp', signWebhook(SECRET, BODY), String(NOW / 1000), 'bad_signature'],
    ['timestamp not digits', signWebhook(SECRET, BODY, '1e9'), '1e9', 'malformed_timestamp'],
    ['empty timestamp', signWebhook(SECRET, BODY), '', 'missing_timestamp'],
    ['older than the window', signWebhook(SECRET, BODY, NOW / 1000 - 301), String(NOW / 1000 - 301), 'stale_timestamp'],
    ['too far in the future', signWebhook(SECRET, BODY, NOW / 1000 + 301), String(NOW / 1000 + 301), 'stale_timestamp'],
  ] as const)('refuses %s', (_name, signature, timestamp, reason) => {
    const r = verifyWebhookSignature(opts({ signature: signature as string | string[] | undefined, timestamp }));
    expect(r).toEqual({ ok: false, reason });
  });

  it('refuses a changed body and requires the timestamp when configured to', () => {
    const sig = signWebhook(SECRET, BODY);
    expect(verifyWebhookSignature(opts({ signature: sig, body: Buffer.from('{"order_id":"A-2"}') })).ok).toBe(false);
    expect(verifyWebhookSignature(opts({ signature: sig, requireTimestamp: true }))).toEqual({ ok: false, reason: 'missing_timestamp' });
  });
});

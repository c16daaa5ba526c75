import type { JobDefinition } from '@vecron/definitions';
import { redactWebhookSecret, splitWebhookSecret, takeWebhookFields } from './webhook-definition';

const def = (webhook: Record<string, unknown> | undefined) => ({ name: 'j', steps: [], triggers: { scheduled: false, ...(webhook ? { webhook } : {}) } });
/** What the definitions validator would return for this input (enough for these tests). */
const validated = (raw: unknown) => raw as JobDefinition;

describe('webhook fields of a job definition', () => {
  it('generates a placeholder secret for the validator when none is sent, and takes forward_headers out', () => {
    const input = takeWebhookFields(def({ enabled: true, forward_headers: ['X-Partner-Id', 'x-partner-id'] }));
    const hook = (input.raw as ReturnType<typeof def>).triggers.webhook as Record<string, unknown>;
    expect(hook['secret_key']).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(hook['forward_headers']).toBeUndefined();
    expect(input).toMatchObject({ secretGiven: null, forwardHeaders: ['x-partner-id'], errors: [] });
  });

  it('keeps a sent secret for validation and reports it as given', () => {
    const input = takeWebhookFields(def({ secret_key: 'my-own-secret-123456' }));
    expect(input.secretGiven).toBe('my-own-secret-123456');
    expect(((input.raw as ReturnType<typeof def>).triggers.webhook as Record<string, unknown>)['secret_key']).toBe('my-own-secret-123456');
  });

  it('reports bad forward_headers by path', () => {
    expect(takeWebhookFields(def({ forward_headers: ['ok', 'bad header', 3] })).errors).toEqual([
      { path: 'triggers.webhook.forward_headers[1]', message: 'must be an HTTP header name' },
      { path: 'triggers.webhook.forward_headers[2]', message: 'must be an HTTP header name' },
    ]);
    expect(takeWebhookFields(def({ forward_headers: 'x' })).errors).toEqual([{ path: 'triggers.webhook.forward_headers', message: 'must be an array of header names' }]);
  });

  it('stores the definition without the secret, with forward_headers, and plans the row', () => {
    const raw = def({ enabled: true, secret_key: 'my-own-secret-123456', forward_headers: ['X-A'], rate_limit: { max_requests: 3, window_seconds: 10 } });
    const input = takeWebhookFields(raw);
    const { definition, plan } = splitWebhookSecret(validated(input.raw), input);
    expect(JSON.stringify(definition)).not.toContain('my-own-secret');
    expect(definition.triggers.webhook).toEqual({ enabled: true, forward_headers: ['x-a'], rate_limit: { max_requests: 3, window_seconds: 10 } });
    expect(plan).toEqual({ present: true, enabled: true, secretGiven: 'my-own-secret-123456', settings: { rate_limit_max: 3, rate_limit_window_seconds: 10, forward_headers: ['x-a'] } });
    // The submitted object is left as it was.
    expect((raw.triggers.webhook as Record<string, unknown>)['secret_key']).toBe('my-own-secret-123456');
  });

  it('plans nothing without a webhook block; redacts a secret from an older stored definition', () => {
    const input = takeWebhookFields(def(undefined));
    expect(splitWebhookSecret(validated(input.raw), input).plan.present).toBe(false);
    expect(redactWebhookSecret(validated(def({ enabled: true, secret_key: 's' }))).triggers.webhook).toEqual({ enabled: true });
  });
});

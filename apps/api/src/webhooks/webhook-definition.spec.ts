import type { JobDefinition } from '@vecron/definitions';
import { redactWebhookSecret, splitWebhookSecret } from './webhook-definition';

const def = (webhook: Record<string, unknown> | undefined) => ({ name: 'j', steps: [], triggers: { scheduled: false, ...(webhook ? { webhook } : {}) } });
/** What the definitions validator would return for this input (enough for these tests). */
const validated = (raw: unknown) => raw as JobDefinition;

describe('webhook fields of a job definition', () => {
  it('stores the definition without the secret, with forward_headers lower-cased once, and plans the row', () => {
    const raw = def({ enabled: true, secret_key: 'my-own-secret-123456', forward_headers: ['X-A', 'x-a'], rate_limit: { max_requests: 3, window_seconds: 10 } });
    const { definition, plan } = splitWebhookSecret(validated(raw));
    expect(JSON.stringify(definition)).not.toContain('my-own-secret');
    expect(definition.triggers.webhook).toEqual({ enabled: true, forward_headers: ['x-a'], rate_limit: { max_requests: 3, window_seconds: 10 } });
    expect(plan).toEqual({ present: true, enabled: true, secretGiven: 'my-own-secret-123456', settings: { rate_limit_max: 3, rate_limit_window_seconds: 10, forward_headers: ['x-a'] } });
    // The submitted object is left as it was.
    expect((raw.triggers.webhook as Record<string, unknown>)['secret_key']).toBe('my-own-secret-123456');
  });

  it('without a secret: none given (the api generates one when it saves)', () => {
    const { definition, plan } = splitWebhookSecret(validated(def({ enabled: true })));
    expect(plan).toMatchObject({ present: true, enabled: true, secretGiven: null, settings: { forward_headers: null } });
    expect(definition.triggers.webhook).toEqual({ enabled: true });
  });

  it('plans nothing without a webhook block; redacts a secret from an older stored definition', () => {
    expect(splitWebhookSecret(validated(def(undefined))).plan.present).toBe(false);
    expect(redactWebhookSecret(validated(def({ enabled: true, secret_key: 's' }))).triggers.webhook).toEqual({ enabled: true });
  });
});

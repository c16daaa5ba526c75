import type { WebhookSettings } from '@vecron/db';
import type { JobDefinition } from '@vecron/definitions';

/**
 * The api's side of `triggers.webhook` in a job definition (its format, `secret_key` and
 * `forward_headers` included, is the definitions model's). The definition stored in object
 * storage never holds the secret: `secret_key` is taken out before the definition is stored and
 * kept encrypted in PostgreSQL (job_webhooks); without one the api generates a secret and returns
 * it once. `forward_headers` is kept in the stored definition, lower-cased and without repeats.
 */

/** What a saved job's webhook must become, taken from the validated definition. */
export interface WebhookPlan {
  /** The definition has a `triggers.webhook` block. */
  present: boolean;
  enabled: boolean;
  /** The secret the caller sent (replaces the stored one), or null. */
  secretGiven: string | null;
  settings: WebhookSettings;
}

/** The definition to store (no secret) and the plan for the webhook row, from a validated definition. */
export function splitWebhookSecret(definition: JobDefinition): { definition: JobDefinition; plan: WebhookPlan } {
  const hook = definition.triggers?.webhook;
  const forwardHeaders = hook?.forward_headers ? [...new Set(hook.forward_headers.map((h) => h.toLowerCase()))] : null;
  const settings: WebhookSettings = {
    rate_limit_max: hook?.rate_limit?.max_requests ?? null,
    rate_limit_window_seconds: hook?.rate_limit?.window_seconds ?? null,
    forward_headers: forwardHeaders,
  };
  if (!hook) return { definition, plan: { present: false, enabled: false, secretGiven: null, settings } };
  const { secret_key: secret, forward_headers: _given, ...rest } = hook;
  const stored = { ...rest, ...(forwardHeaders !== null ? { forward_headers: forwardHeaders } : {}) };
  return {
    definition: { ...definition, triggers: { ...definition.triggers, webhook: stored } } as JobDefinition,
    plan: { present: true, enabled: hook.enabled !== false, secretGiven: typeof secret === 'string' ? secret : null, settings },
  };
}

/** A definition as shown by the API: never a `secret_key` (older stored definitions may have one). */
export function redactWebhookSecret(definition: JobDefinition): JobDefinition {
  const hook = definition.triggers?.webhook;
  if (!hook || !('secret_key' in hook)) return definition;
  const { secret_key: _secret, ...rest } = hook;
  return { ...definition, triggers: { ...definition.triggers, webhook: rest } } as JobDefinition;
}

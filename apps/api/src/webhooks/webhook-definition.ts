import type { WebhookSettings } from '@vecron/db';
import type { JobDefinition } from '@vecron/definitions';
import type { ErrorDetail } from '../errors/app-errors';
import { newWebhookSecret } from './webhook-keys';

/**
 * The api's side of `triggers.webhook` in a job definition. The definition stored in object
 * storage never holds the secret: `secret_key` is taken out before the definition is stored
 * and kept encrypted in PostgreSQL (job_webhooks). `secret_key` may be left out, in which case
 * the api generates one and returns it once. `forward_headers` (header names copied into
 * `webhook.headers`) is checked here and kept in the stored definition.
 */

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;
export const MAX_FORWARD_HEADERS = 100;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The submitted definition, ready for the definitions validator, and what the api keeps aside. */
export interface WebhookDefinitionInput {
  /** What to validate: `forward_headers` removed; a placeholder secret when none was sent. */
  raw: unknown;
  /** The secret the caller sent (replaces the stored one), or null. */
  secretGiven: string | null;
  forwardHeaders: string[] | null;
  /** Problems with `forward_headers`, reported with the validator's own. */
  errors: ErrorDetail[];
}

/** What a saved job's webhook must become, taken from the validated definition. */
export interface WebhookPlan {
  /** The definition has a `triggers.webhook` block. */
  present: boolean;
  enabled: boolean;
  secretGiven: string | null;
  settings: WebhookSettings;
}

function checkForwardHeaders(v: unknown, errors: ErrorDetail[]): string[] | null {
  const path = 'triggers.webhook.forward_headers';
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) {
    errors.push({ path, message: 'must be an array of header names' });
    return null;
  }
  if (v.length > MAX_FORWARD_HEADERS) errors.push({ path, message: `must contain at most ${MAX_FORWARD_HEADERS} header names` });
  const names = new Set<string>();
  v.forEach((name: unknown, i) => {
    if (typeof name !== 'string' || !HEADER_NAME.test(name)) errors.push({ path: `${path}[${i}]`, message: 'must be an HTTP header name' });
    else names.add(name.toLowerCase());
  });
  return [...names];
}

/** Takes `forward_headers` and the secret out of a submitted definition (any JSON; nothing is mutated). */
export function takeWebhookFields(raw: unknown): WebhookDefinitionInput {
  const none: WebhookDefinitionInput = { raw, secretGiven: null, forwardHeaders: null, errors: [] };
  if (!isObject(raw) || !isObject(raw['triggers']) || !isObject(raw['triggers']['webhook'])) return none;
  const { forward_headers, ...webhook } = raw['triggers']['webhook'];
  const errors: ErrorDetail[] = [];
  const forwardHeaders = checkForwardHeaders(forward_headers, errors);
  const given = typeof webhook['secret_key'] === 'string' ? webhook['secret_key'] : null;
  // No secret: the api makes one. The validator still wants one while the webhook is enabled.
  if ((webhook['secret_key'] === undefined || webhook['secret_key'] === null) && webhook['enabled'] !== false) webhook['secret_key'] = newWebhookSecret();
  return { raw: { ...raw, triggers: { ...raw['triggers'], webhook } }, secretGiven: given, forwardHeaders, errors };
}

/**
 * The definition to store (no secret; `forward_headers` kept) and the plan for the webhook row.
 * `definition` is the validator's output for `input.raw`.
 */
export function splitWebhookSecret(definition: JobDefinition, input: WebhookDefinitionInput): { definition: JobDefinition; plan: WebhookPlan } {
  const hook = definition.triggers?.webhook;
  const settings: WebhookSettings = {
    rate_limit_max: hook?.rate_limit?.max_requests ?? null,
    rate_limit_window_seconds: hook?.rate_limit?.window_seconds ?? null,
    forward_headers: input.forwardHeaders,
  };
  if (!hook) return { definition, plan: { present: false, enabled: false, secretGiven: null, settings } };
  const { secret_key: _secret, ...rest } = hook;
  const stored = { ...rest, ...(input.forwardHeaders !== null ? { forward_headers: input.forwardHeaders } : {}) };
  return {
    definition: { ...definition, triggers: { ...definition.triggers, webhook: stored } } as JobDefinition,
    plan: { present: true, enabled: hook.enabled !== false, secretGiven: input.secretGiven, settings },
  };
}

/** A definition as shown by the API: never a `secret_key` (older stored definitions may have one). */
export function redactWebhookSecret(definition: JobDefinition): JobDefinition {
  const hook = definition.triggers?.webhook;
  if (!hook || !('secret_key' in hook)) return definition;
  const { secret_key: _secret, ...rest } = hook;
  return { ...definition, triggers: { ...definition.triggers, webhook: rest } } as JobDefinition;
}

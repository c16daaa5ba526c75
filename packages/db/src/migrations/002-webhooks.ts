import type { Migration } from './migration';

/**
 * Webhook triggers: one row per job that has (or had) a webhook. The URL key is looked up on
 * every request (no cache: a regenerated key answers 404 at once on every api replica); the
 * HMAC secret is stored only encrypted, with the key ring of the sensitive variables.
 */
export const webhooksMigration: Migration = {
  version: 2,
  name: 'webhooks',
  sql: `
create table job_webhooks (
  job_id uuid primary key references jobs (id),
  -- the {key} of /webhooks/{key}: 128+ random bits, base64url
  url_key text not null,
  encrypted_secret text not null,
  key_id text not null,
  -- copied from the definition's triggers.webhook so that a request never reads object storage
  rate_limit_max integer check (rate_limit_max is null or rate_limit_max > 0),
  rate_limit_window_seconds integer check (rate_limit_window_seconds is null or rate_limit_window_seconds > 0),
  -- lower-case header names copied into webhook.headers; null = all but the credential headers
  forward_headers jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- when the current key and secret were issued (creation or regenerate)
  issued_at timestamptz not null default now()
);
create unique index job_webhooks_url_key_idx on job_webhooks (url_key);
`,
};

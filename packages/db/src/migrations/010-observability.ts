import type { Migration } from './migration';

/**
 * Observability (issue 16): each execution's captured log lines (written once when it ends, kept
 * as long as the execution row) and each job's alert state (consecutive failures, whether an
 * alert is open), updated atomically so that one alert is sent across all workers.
 */
export const observabilityMigration: Migration = {
  version: 10,
  name: 'observability',
  sql: `
create table execution_logs (
  execution_id uuid primary key references job_executions (id) on delete cascade,
  job_id uuid not null,
  -- [{time, level, msg, step_id?, ...fields}] in the order logged
  lines jsonb not null,
  line_count integer not null,
  -- lines over the per-execution cap, not kept
  dropped_lines integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table job_alert_state (
  job_id uuid primary key references jobs (id) on delete cascade,
  consecutive_failures integer not null default 0,
  -- an alert was sent and no success since
  alerting boolean not null default false,
  -- when the last alert or reminder was decided
  notified_at timestamptz,
  -- what the last update decided: alert, reminder, recovered or null
  last_decision text,
  updated_at timestamptz not null default now()
);
`,
};

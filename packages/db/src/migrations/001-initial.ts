import type { Migration } from './migration';

/** System database: jobs, executions, variables, stats and recorded schedule skips. */
export const initialMigration: Migration = {
  version: 1,
  name: 'initial',
  sql: `
create table jobs (
  id uuid primary key,
  name text not null,
  description text,
  enabled boolean not null default true,
  definition_path text not null,
  current_version integer not null check (current_version >= 1),
  -- the definition's schedule section, copied so that the scheduler never reads object storage per tick
  schedule jsonb,
  schedule_type text,
  timezone text,
  scheduled_trigger boolean not null default true,
  manual_trigger boolean not null default true,
  webhook_enabled boolean not null default false,
  allow_concurrent boolean not null default false,
  next_run_at timestamptz(3),
  last_run_at timestamptz,
  last_fire_time timestamptz(3),
  schedule_completed_at timestamptz,
  -- fire times have millisecond precision (timestamptz(3)): they round-trip exactly through JS Dates
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
create index jobs_due_idx on jobs (next_run_at)
  where enabled and scheduled_trigger and deleted_at is null and next_run_at is not null;
create index jobs_list_idx on jobs (created_at desc, id) where deleted_at is null;
create index jobs_name_idx on jobs (lower(name)) where deleted_at is null;

create table job_executions (
  id uuid primary key,
  job_id uuid not null references jobs (id),
  idempotency_key text not null,
  status text not null check (status in ('pending','running','success','failed','timeout','cancelled','dead_letter')),
  trigger_source text not null check (trigger_source in ('scheduled','manual','webhook','retry')),
  trigger_metadata jsonb not null default '{}'::jsonb,
  attempt integer not null default 1,
  scheduled_for timestamptz(3),
  current_step text,
  context_path text,
  definition_version integer not null,
  -- allow_concurrent=false at trigger time: at most one such execution of a job runs at once
  exclusive boolean not null default true,
  worker_id text,
  started_at timestamptz,
  completed_at timestamptz,
  error jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index job_executions_idempotency_key_idx on job_executions (idempotency_key);
create index job_executions_job_idx on job_executions (job_id, created_at desc);
create index job_executions_status_idx on job_executions (status, created_at desc);
create index job_executions_created_idx on job_executions (created_at desc, id);
create index job_executions_active_idx on job_executions (job_id) where status in ('pending','running');
create unique index job_executions_one_exclusive_run_idx on job_executions (job_id) where status = 'running' and exclusive;

create table variables (
  id uuid primary key,
  name text not null,
  value text,
  encrypted_value text,
  key_id text,
  is_sensitive boolean not null default false,
  job_id uuid references jobs (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((is_sensitive and encrypted_value is not null and key_id is not null and value is null)
      or (not is_sensitive and value is not null and encrypted_value is null))
);
create unique index variables_global_name_idx on variables (name) where job_id is null;
create unique index variables_job_name_idx on variables (job_id, name) where job_id is not null;

create table job_stats (
  job_id uuid primary key references jobs (id),
  total_executions bigint not null default 0,
  success_count bigint not null default 0,
  failed_count bigint not null default 0,
  last_execution_id uuid,
  last_status text,
  last_duration_ms bigint,
  total_duration_ms bigint not null default 0,
  updated_at timestamptz not null default now()
);

create table schedule_skips (
  id bigserial primary key,
  job_id uuid not null references jobs (id),
  fire_time timestamptz(3) not null,
  reason text not null,
  recorded_at timestamptz not null default now()
);
create index schedule_skips_job_idx on schedule_skips (job_id, fire_time desc);
`,
};

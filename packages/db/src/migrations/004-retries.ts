import type { Migration } from './migration';

/**
 * Retries as delayed resumes, attempt records, dead letters and replays (issue 12, part A).
 *
 * - `next_attempt_at` / `resume_step`: a `running` execution waiting for a retry (no worker
 *   holds it, `worker_id` null) has `next_attempt_at` set; a delayed Bull job resumes it at
 *   `resume_step` from its saved context. The resume claim is conditional on
 *   `next_attempt_at is not null`, so exactly one delivery resumes it; a stop during the wait
 *   ends it `cancelled` with the same condition.
 * - `replay_of`: an execution created by `POST /api/executions/:id/replay` names the original.
 *   With `resume_step` set on a pending replay, the worker seeds its context from the original's
 *   steps before that step and starts there.
 * - `execution_attempts`: one row per step attempt (number, step, outcome, error, times).
 */
export const retriesMigration: Migration = {
  version: 4,
  name: 'retries',
  sql: `
alter table job_executions
  add column next_attempt_at timestamptz(3),
  add column resume_step text,
  add column replay_of uuid references job_executions (id);
create index job_executions_waiting_idx on job_executions (next_attempt_at) where next_attempt_at is not null;
create index job_executions_replay_of_idx on job_executions (replay_of) where replay_of is not null;
alter table job_executions drop constraint job_executions_trigger_source_check;
alter table job_executions add constraint job_executions_trigger_source_check
  check (trigger_source in ('scheduled','manual','webhook','retry','replay'));

create table execution_attempts (
  id bigserial primary key,
  execution_id uuid not null references job_executions (id),
  step_id text not null,
  attempt integer not null check (attempt >= 1),
  status text not null check (status in ('success','failed')),
  error_code text,
  error_message text,
  retryable boolean,
  started_at timestamptz not null,
  finished_at timestamptz not null,
  -- when the next attempt of this step was scheduled for (a retry), else null
  next_attempt_at timestamptz(3),
  worker_id text
);
create index execution_attempts_execution_idx on execution_attempts (execution_id, id);
`,
};

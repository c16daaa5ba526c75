import type { Migration } from './migration';

/**
 * Overlap policies and per-job concurrency limits (issue 12, part B).
 * - `jobs.max_concurrent`: copied from the current definition; null = no limit. The worker's
 *   claim of an execution of a job with a limit counts the job's running rows under a per-job
 *   advisory lock; a job without one keeps the one-statement claim.
 * - `job_executions.wait_reason`: a pending execution that waits for a slot (`max_concurrent`)
 *   or for the running one to end (`overlap_queue`, `cancel_previous`); `wait_check_at`: when the
 *   one delayed re-check scheduled for it is due (so that deliveries never multiply).
 * - At most one scheduled fire of a job waits behind an overlap (unique partial index).
 */
export const executionLimitsMigration: Migration = {
  version: 5,
  name: 'execution-limits',
  sql: `
alter table jobs add column max_concurrent integer check (max_concurrent is null or max_concurrent >= 1);
alter table job_executions
  add column wait_reason text check (wait_reason in ('overlap_queue','cancel_previous','max_concurrent')),
  add column wait_check_at timestamptz;
create unique index job_executions_one_overlap_waiter_idx on job_executions (job_id)
  where status = 'pending' and wait_reason in ('overlap_queue','cancel_previous');
create index job_executions_waiters_idx on job_executions (job_id, created_at)
  where status = 'pending' and wait_reason is not null;
`,
};

import type { Migration } from './migration';

/**
 * Stopping an execution (POST /api/executions/:id/stop). The api records the request in the
 * same statement that decides (pending → cancelled at once; running → flagged and announced on
 * Redis), so a stop that reaches no worker (claimed between the api's read and its publish, a
 * subscriber reconnecting) is still seen by the worker at its claim, between steps and at its
 * heartbeat.
 */
export const executionStopMigration: Migration = {
  version: 3,
  name: 'execution-stop',
  sql: `
alter table job_executions
  add column cancel_requested_at timestamptz,
  -- who asked: 'api' today; the user id once the api has users
  add column cancel_requested_by text,
  add column cancel_requested_by_user_id uuid;
`,
};

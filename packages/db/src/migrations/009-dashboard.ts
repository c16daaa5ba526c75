import type { Migration } from './migration';

/**
 * The dashboard's live updates (Server-Sent Events) read the executions changed since the last
 * poll (`updated_at > $since`): an index keeps that a range scan however many executions exist.
 */
export const dashboardMigration: Migration = {
  version: 9,
  name: 'dashboard',
  sql: `
create index if not exists job_executions_updated_idx on job_executions (updated_at);
`,
};

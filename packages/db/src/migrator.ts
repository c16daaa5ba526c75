import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { initialMigration } from './migrations/001-initial';
import { webhooksMigration } from './migrations/002-webhooks';
import { executionStopMigration } from './migrations/003-execution-stop';
import { retriesMigration } from './migrations/004-retries';
import { authMigration } from './migrations/007-auth';
import { dashboardMigration } from './migrations/009-dashboard';
import { observabilityMigration } from './migrations/010-observability';
import type { Migration } from './migrations/migration';

export type { Migration };

/** Every migration of the system database, in order. */
export const MIGRATIONS: readonly Migration[] = [initialMigration, webhooksMigration, executionStopMigration, retriesMigration, authMigration, dashboardMigration, observabilityMigration];

// Arbitrary constant: serialises migrations when several replicas start at once.
const MIGRATION_LOCK_ID = 7_301_972_204;

export interface MigrateResult {
  applied: number[];
  current: number;
}

/** Applies every pending migration under a PostgreSQL advisory lock. Idempotent. */
export async function migrate(pool: Pool, options: { logger?: Logger; migrations?: readonly Migration[] } = {}): Promise<MigrateResult> {
  const migrations = [...(options.migrations ?? MIGRATIONS)].sort((a, b) => a.version - b.version);
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await client.query(
      'create table if not exists schema_migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())',
    );
    const { rows } = await client.query<{ version: number }>('select version from schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await client.query('begin');
      try {
        await client.query(m.sql);
        await client.query('insert into schema_migrations (version, name) values ($1, $2)', [m.version, m.name]);
        await client.query('commit');
      } catch (err) {
        await client.query('rollback');
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.version);
      options.logger?.info({ migration: m.version, migration_name: m.name }, 'migration applied');
    }
    return { applied, current: Math.max(0, ...migrations.map((m) => m.version)) };
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    client.release();
  }
}

import mysql from 'mysql2/promise';
import pg from 'pg';
import pino from 'pino';
import { createJobContext, createTemplateScope, resolveTemplateString, type JobContext } from '@vecron/context';
import { InMemoryObjectStorage } from '@vecron/storage';
import { DatabaseExecutor } from '../src/database/database.executor';
import { ExecutorRegistry } from '../src/executor-registry';
import type { StepRunContext } from '../src/step-executor';
import { runContext } from './support';

/** Target databases of the database step's integration tests (scripts/services.sh up). */
export const PG_ADMIN_URL = process.env.VECRON_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:25432/postgres';
export const MYSQL_URL =
  process.env.VECRON_TEST_MYSQL_URL ?? `mysql://vecron:vecron@127.0.0.1:${process.env.VECRON_MYSQL_PORT ?? '23306'}/vecron_target_test`;
/** The target PostgreSQL database: a database of its own, not the system database's. */
export const PG_TARGET_DB = 'vecron_target_test';

export function pgTargetUrl(): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${PG_TARGET_DB}`;
  return url.toString();
}

/** Creates the PostgreSQL target database when missing. */
export async function ensurePgTarget(): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [PG_TARGET_DB]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${PG_TARGET_DB}`).catch((err: { code?: string }) => {
      if (err.code !== '42P04') throw err; // created concurrently by another test file
    });
  } finally {
    await admin.end();
  }
}

/** A direct client on the PostgreSQL target (to prepare tables and check results). */
export async function pgClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: pgTargetUrl() });
  await client.connect();
  return client;
}

/** A direct connection on the MariaDB target. */
export async function mysqlClient(): Promise<mysql.Connection> {
  return mysql.createConnection({ uri: MYSQL_URL, multipleStatements: true });
}

/** The connection as MariaDB's root (process list of every user). */
export async function mysqlRootClient(): Promise<mysql.Connection> {
  const url = new URL(MYSQL_URL);
  return mysql.createConnection({ host: url.hostname, port: Number(url.port), user: 'root' });
}

/** A run context whose templates resolve against `context` (as the worker gives it). */
export function templatedRun(
  context: Partial<JobContext> = {},
  overrides: Partial<StepRunContext> = {},
  variables: Record<string, string> = {},
): StepRunContext {
  const ctx = { ...createJobContext({ executionId: 'exec-1', jobId: 'job-1' }), ...context };
  const scope = createTemplateScope({ context: ctx, variables });
  return runContext({
    storage: new InMemoryObjectStorage(),
    logger: pino({ level: 'silent' }),
    resolveTemplate: (template) => resolveTemplateString(template, scope),
    ...overrides,
  });
}

/** Runs one database step the way the worker does: resolveConfig, validation, execute. */
export async function runStep(
  registry: ExecutorRegistry,
  rawConfig: Record<string, unknown>,
  run: StepRunContext,
  resolve: (value: unknown) => unknown = (v) => v,
): Promise<unknown> {
  const config = registry.resolveConfig('database', rawConfig, resolve);
  return registry.run('database', config, run);
}

export function databaseRegistry(executor = new DatabaseExecutor()): { executor: DatabaseExecutor; registry: ExecutorRegistry } {
  return { executor, registry: new ExecutorRegistry([executor]) };
}

/** Polls `check` until it returns true (a server-side state that changes asynchronously), up to `ms`. */
export async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

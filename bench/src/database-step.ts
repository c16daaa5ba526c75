/**
 * Database step bench (not a test): a 100,000-row batch insert through the `database` step into
 * PostgreSQL and into MariaDB, next to the same insert done by a bare script with the same driver,
 * in the same run. Each variant runs in a child process of its own, so its peak RSS is its own.
 *
 *   node bench/dist/database-step.js          (after `pnpm --filter @vecron/bench build`)
 *
 * Env: BENCH_DB_ROWS=100000  BENCH_DB_BATCH=1000  BENCH_DB_ROUNDS=2
 *      BENCH_PG_ADMIN_URL / VECRON_PG_PORT, BENCH_MYSQL_URL / VECRON_MYSQL_PORT
 *
 * Input of every variant: the same NDJSON bytes (what a file step writes), built before the clock
 * starts and read as a stream. The step reads them as `data: {data_ref}` from an in-memory object
 * storage (readRows) and writes with its multi-row INSERT batches; the bare script reads them with
 * readline + JSON.parse and sends the same multi-row INSERTs with the driver (pg: $n placeholders;
 * mysql2: execute with ? placeholders). Object storage is left out of both sides: the local s3rver
 * is a test double whose speed says nothing about MinIO.
 */
import { fork } from 'child_process';
import { createInterface } from 'readline';
import mysql from 'mysql2/promise';
import pg from 'pg';
import pino from 'pino';
import { DatabaseExecutor, ExecutorRegistry, type DatabaseStepOutput } from '@vecron/executors';
import { Readable } from 'stream';
import { InMemoryObjectStorage } from '@vecron/storage';
import { fmt, PG_ADMIN_URL, table } from './common';

const ROWS = Number(process.env.BENCH_DB_ROWS ?? 100_000);
const BATCH = Number(process.env.BENCH_DB_BATCH ?? 1000);
const ROUNDS = Number(process.env.BENCH_DB_ROUNDS ?? 2);
const MYSQL_URL = process.env.BENCH_MYSQL_URL ?? `mysql://vecron:vecron@127.0.0.1:${process.env.VECRON_MYSQL_PORT ?? 23306}/vecron_target_test`;
const PG_DB = 'vecron_bench_dbstep';
const JOB = 'bench-dbstep';
const EXEC = 'exec-1';
const KEY = `jobs/${JOB}/executions/${EXEC}/output/rows.ndjson`;
const COLUMNS = ['id', 'name', 'email', 'amount', 'created_at'] as const;

type Target = 'postgresql' | 'mysql';
type Variant = `${'step' | 'bare'}-${Target}`;
interface Result {
  variant: Variant;
  ms: number;
  rows: number;
  maxRssMb: number;
}

function pgUrl(): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${PG_DB}`;
  return url.toString();
}

/** The input: ROWS rows as NDJSON. */
function ndjson(): Buffer {
  const lines: string[] = [];
  for (let i = 1; i <= ROWS; i++) {
    lines.push(
      JSON.stringify({ id: i, name: `user ${i}`, email: `user${i}@example.com`, amount: (i % 100000) / 100, created_at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString() }),
    );
  }
  return Buffer.from(lines.join('\n') + '\n');
}

const TABLE_SQL = 'CREATE TABLE bench_rows (id INT PRIMARY KEY, name VARCHAR(100), email VARCHAR(200), amount DECIMAL(12,2), created_at VARCHAR(40))';

async function resetTable(target: Target): Promise<void> {
  if (target === 'postgresql') {
    const c = new pg.Client({ connectionString: pgUrl() });
    await c.connect();
    await c.query('DROP TABLE IF EXISTS bench_rows');
    await c.query(TABLE_SQL);
    await c.end();
  } else {
    const c = await mysql.createConnection({ uri: MYSQL_URL });
    await c.query('DROP TABLE IF EXISTS bench_rows');
    await c.query(`${TABLE_SQL} ENGINE=InnoDB`);
    await c.end();
  }
}

async function countRows(target: Target): Promise<number> {
  if (target === 'postgresql') {
    const c = new pg.Client({ connectionString: pgUrl() });
    await c.connect();
    const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM bench_rows');
    await c.end();
    return rows[0]!.n;
  }
  const c = await mysql.createConnection({ uri: MYSQL_URL });
  const [rows] = await c.query('SELECT COUNT(*) AS n FROM bench_rows');
  await c.end();
  return Number((rows as { n: number }[])[0]!.n);
}

/** The step, as the worker runs it: registry.resolveConfig + validation + execute, rows from a data_ref. */
async function viaStep(target: Target, storage: InMemoryObjectStorage): Promise<number> {
  const executor = new DatabaseExecutor();
  const registry = new ExecutorRegistry([executor]);
  const config = registry.resolveConfig(
    'database',
    {
      database_type: target,
      connection_string: target === 'postgresql' ? pgUrl() : MYSQL_URL,
      query: `INSERT INTO bench_rows (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `:${c}`).join(', ')})`,
      data: { data_ref: 'output/rows.ndjson' },
      batch_size: BATCH,
      timeout_seconds: 600,
    },
    (v) => v,
  );
  const output = (await registry.run('database', config, {
    jobId: JOB,
    executionId: EXEC,
    stepId: 'load',
    signal: new AbortController().signal,
    logger: pino({ level: 'silent' }),
    storage,
    attempt: 1,
    addFile: () => undefined,
  })) as DatabaseStepOutput;
  await registry.close();
  return output.summary!.rows_written;
}

/** The bare script: same source object, same driver, same multi-row INSERT batches. */
async function bare(target: Target, input: Buffer): Promise<number> {
  const pgClient = target === 'postgresql' ? new pg.Client({ connectionString: pgUrl() }) : undefined;
  const myClient = target === 'mysql' ? await mysql.createConnection({ uri: MYSQL_URL }) : undefined;
  await pgClient?.connect();
  // Created right before iterating: readline drops lines emitted before its iterator exists.
  const lines = createInterface({ input: Readable.from([input]), crlfDelay: Infinity });
  let batch: Record<string, unknown>[] = [];
  let written = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const values: unknown[] = [];
    const groups = batch.map((row) => {
      const marks = COLUMNS.map((c) => {
        values.push(row[c] ?? null);
        return target === 'postgresql' ? `$${values.length}` : '?';
      });
      return `(${marks.join(', ')})`;
    });
    const sql = `INSERT INTO bench_rows (${COLUMNS.join(', ')}) VALUES ${groups.join(', ')}`;
    if (pgClient) await pgClient.query(sql, values);
    else await myClient!.execute(sql, values as mysql.ExecuteValues[]);
    written += batch.length;
    batch = [];
  };
  for await (const line of lines) {
    if (line.trim() === '') continue;
    batch.push(JSON.parse(line) as Record<string, unknown>);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  await pgClient?.end();
  await myClient?.end();
  return written;
}

/** Child: runs one variant, reports time and its own peak RSS. */
async function child(variant: Variant): Promise<void> {
  const target = variant.endsWith('postgresql') ? 'postgresql' : 'mysql';
  const input = ndjson();
  const storage = new InMemoryObjectStorage();
  await storage.put(KEY, input);
  const started = performance.now();
  const rows = variant.startsWith('step') ? await viaStep(target, storage) : await bare(target, input);
  const ms = performance.now() - started;
  const result: Result = { variant, ms, rows, maxRssMb: process.resourceUsage().maxRSS / 1024 };
  process.send!(result);
}

function runChild(variant: Variant): Promise<Result> {
  return new Promise((resolve, reject) => {
    const p = fork(__filename, ['--variant', variant], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: Result | undefined;
    const timer = setTimeout(() => p.kill('SIGKILL'), 10 * 60_000);
    p.on('message', (m) => (result = m as Result));
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (result) resolve(result);
      else reject(new Error(`${variant} exited with ${code}`));
    });
  });
}

async function prepare(): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${PG_DB}`);
  await admin.query(`CREATE DATABASE ${PG_DB}`);
  await admin.end();
}

async function cleanup(): Promise<void> {
  const c = await mysql.createConnection({ uri: MYSQL_URL });
  await c.query('DROP TABLE IF EXISTS bench_rows');
  await c.end();
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${PG_DB}`);
  await admin.end();
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--variant');
  if (at !== -1) return child(process.argv[at + 1] as Variant);
  process.stdout.write(`database step bench: ${ROWS} rows, batch ${BATCH}, ${ROUNDS} rounds (ABBA), ${new Date().toISOString()}\n`);
  await prepare();
  const results: Result[] = [];
  try {
    for (const target of ['postgresql', 'mysql'] as const) {
      for (let round = 0; round < ROUNDS; round++) {
        const order: Variant[] = round % 2 === 0 ? [`bare-${target}`, `step-${target}`] : [`step-${target}`, `bare-${target}`];
        for (const variant of order) {
          await resetTable(target);
          const r = await runChild(variant);
          const n = await countRows(target);
          if (n !== ROWS || r.rows !== ROWS) throw new Error(`${variant}: ${n} rows in the table, ${r.rows} reported (expected ${ROWS})`);
          process.stdout.write(`  ${variant.padEnd(16)} ${fmt(r.ms)} ms  ${fmt((ROWS / r.ms) * 1000)} rows/s  peak RSS ${fmt(r.maxRssMb)} MB\n`);
          results.push(r);
        }
      }
    }
  } finally {
    await cleanup();
  }
  const rows = (['postgresql', 'mysql'] as const).map((target) => {
    const rate = (v: Variant): number => {
      const rs = results.filter((r) => r.variant === v);
      return (rs.length * ROWS) / (rs.reduce((a, r) => a + r.ms, 0) / 1000);
    };
    const rss = (v: Variant): number => Math.max(...results.filter((r) => r.variant === v).map((r) => r.maxRssMb));
    const step = rate(`step-${target}`);
    const base = rate(`bare-${target}`);
    return [target, fmt(step), fmt(base), `${fmt((step / base) * 100)} %`, fmt(rss(`step-${target}`)), fmt(rss(`bare-${target}`))];
  });
  process.stdout.write(
    table(`database step: ${ROWS}-row batch insert (mean over ${ROUNDS} rounds)`, ['target', 'step rows/s', 'bare rows/s', 'step/bare', 'step peak RSS MB', 'bare peak RSS MB'], rows),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);

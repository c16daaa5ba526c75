/**
 * (c) Scheduler cost with many enabled jobs of which a few are due: cold start (spawn → first tick
 * that fired every due job) and CPU per tick (scheduler process, and its PostgreSQL backend).
 * The scheduler logs one debug line per tick that fired ({ jobs, fired }, msg "tick").
 */
import { readFileSync } from 'fs';
import { Client } from 'pg';
import { CLK_TCK, cpuMsOf, deleteRedisPrefix, PG_ADMIN_URL, productEnv, sleep, spawnNode, productMain, waitFor, type Child } from './common';
import { dropDatabase, freshDatabase } from './fixtures';
import { logLines } from './procs';

export interface SchedulerCostOptions {
  sizes: number[];
  due: number;
  tickMs: number;
  windowMs: number;
}

export interface SchedulerCostResult {
  jobs: number;
  due: number;
  insertS: number;
  /** spawn → "scheduler started" (Nest app up, first tick scheduled). */
  bootMs: number;
  /** spawn → the "tick" log line by which every due job had fired. */
  coldStartMs: number;
  firedRows: number;
  windowS: number;
  ticks: number;
  schedulerCpuMs: number;
  cpuPerTickMs: number;
  pgBackendCpuPerTickMs: number;
  rssMb: number;
  /** EXPLAIN ANALYZE of the findDue query, median of 5, ms. */
  findDueQueryMs: number;
}

const SCHEDULE = { type: 'cron', expression: '0 0 1 * * ?', timezone: 'Asia/Ho_Chi_Minh', misfire_policy: 'fire_once', misfire_max_fires: 100 };

/** The next 01:00 in Asia/Ho_Chi_Minh (UTC+7, no DST) = 18:00 UTC, at least an hour away. */
function nextOneAmHcm(now: Date): Date {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 18, 0, 0));
  while (d.getTime() - now.getTime() < 3_600_000) d.setUTCDate(d.getUTCDate() + 1);
  return d;
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

export async function runSchedulerCost(size: number, o: SchedulerCostOptions): Promise<SchedulerCostResult> {
  const dbName = `vecron_bench_c_${size}`;
  const prefix = `vbench-c-${size}-${Date.now().toString(36)}`;
  const { url, db } = await freshDatabase(dbName);
  const admin = new Client({ connectionString: PG_ADMIN_URL, application_name: 'vecron-bench-admin' });
  await admin.connect();
  let scheduler: Child | null = null;
  try {
    const t0 = Date.now();
    const far = nextOneAmHcm(new Date());
    // `nextRunAt` is a JS Date, or the SQL now() (microseconds, which the timestamptz(3) column now
    // rounds to ms; before that fix such a value never matched advanceSchedule and never fired).
    const insert = (n: number, nextRunAt: Date | 'now()'): Promise<unknown> =>
      db.query(
        `insert into jobs (id, name, description, enabled, definition_path, current_version, schedule, schedule_type, timezone,
           scheduled_trigger, manual_trigger, webhook_enabled, allow_concurrent, next_run_at)
         select s.id, 'bench-c-' || s.g, null, true, 'jobs/' || s.id || '/definition.json', 1, $2::jsonb, 'cron', 'Asia/Ho_Chi_Minh',
           true, true, false, false, ${nextRunAt === 'now()' ? 'now()' : '$3::timestamptz'}
           from (select gen_random_uuid() as id, g from generate_series(1, $1::int) g) s`,
        nextRunAt === 'now()' ? [n, JSON.stringify(SCHEDULE)] : [n, JSON.stringify(SCHEDULE), nextRunAt],
      );
    await insert(size - o.due, far);
    await db.query('vacuum analyze jobs');
    // The few due jobs: due now, written with SQL now() (the scheduler fires them in its first tick).
    await insert(o.due, 'now()');
    const insertS = (Date.now() - t0) / 1000;

    const until = new Date(Date.now() + 1000);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { rows } = await db.query<{ 'QUERY PLAN': string }>(
        `explain (analyze, format text) select id, name, description, enabled, definition_path, current_version, schedule, schedule_type, timezone,
           scheduled_trigger, manual_trigger, webhook_enabled, allow_concurrent, next_run_at, last_run_at, last_fire_time,
           schedule_completed_at, created_at, updated_at from jobs
         where enabled and scheduled_trigger and deleted_at is null and next_run_at is not null and next_run_at <= $1
         order by next_run_at limit $2`,
        [until, 1000],
      );
      const exec = rows.map((r) => r['QUERY PLAN']).find((l) => l.startsWith('Execution Time'));
      times.push(Number(/([\d.]+) ms/.exec(exec ?? '')?.[1] ?? NaN));
    }
    times.sort((a, b) => a - b);

    scheduler = spawnNode(`c-scheduler-${size}`, productMain('scheduler'), productEnv(url, prefix, { LOG_LEVEL: 'debug', SCHEDULER_TICK_MS: String(o.tickMs) }));
    const name = `c-scheduler-${size}`;
    const spawnedAt = scheduler.spawnedAt;
    const fired = await waitFor(
      async () => {
        if (!scheduler!.alive) throw new Error(`scheduler exited: ${readFileSync(`${__dirname}/../logs/${name}.log`, 'utf8').slice(-2000)}`);
        let sum = 0;
        for (const l of logLines(name).filter((x) => x.msg === 'tick')) {
          sum += Number(l.fired ?? 0);
          if (sum >= o.due) return [l];
        }
        return null;
      },
      60_000,
      `scheduler (${size} jobs) to fire the ${o.due} due jobs`,
      20,
    );
    const started = logLines(name).find((l) => l.msg === 'scheduler started');
    const coldStartMs = fired[0]!.time - spawnedAt;
    const { rows: fr } = await db.query<{ n: string }>('select count(*) as n from job_executions');

    await sleep(2000);
    const pid = scheduler.pid;
    const backends = async (): Promise<number[]> => {
      const { rows } = await admin.query<{ pid: number }>(
        `select pid from pg_stat_activity where datname = $1 and application_name = 'vecron-scheduler'`,
        [dbName],
      );
      return rows.map((r) => r.pid);
    };
    const pgPids = await backends();
    const pgStart = new Map(pgPids.map((p) => [p, cpuMsOf(p)]));
    const cpuStart = cpuMsOf(pid);
    const w0 = Date.now();
    await sleep(o.windowMs);
    const schedulerCpuMs = cpuMsOf(pid) - cpuStart;
    const windowMs = Date.now() - w0;
    let pgCpu = 0;
    for (const [p, start] of pgStart) {
      const now = cpuMsOf(p);
      if (now > 0) pgCpu += now - start;
    }
    const ticks = windowMs / o.tickMs;
    return {
      jobs: size,
      due: o.due,
      insertS,
      bootMs: started ? started.time - spawnedAt : NaN,
      coldStartMs,
      firedRows: Number(fr[0]!.n),
      windowS: windowMs / 1000,
      ticks,
      schedulerCpuMs,
      cpuPerTickMs: schedulerCpuMs / ticks,
      pgBackendCpuPerTickMs: pgCpu / ticks,
      rssMb: rssMb(pid),
      findDueQueryMs: times[2]!,
    };
  } finally {
    await scheduler?.stop();
    await admin.end().catch(() => undefined);
    await db.close().catch(() => undefined);
    await deleteRedisPrefix(prefix);
    await dropDatabase(dbName).catch(() => undefined);
  }
}

/** CPU accounting granularity, for the README. */
export const CPU_RESOLUTION_MS = 1000 / CLK_TCK;

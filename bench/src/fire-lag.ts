/**
 * (b) Fire lag: N one_time jobs due at the same instant, fired by the scheduler and run by the
 * workers; lag = arrival of the step's HTTP request at the local server − scheduled_for. Next to
 * Bull's own lateness for N delayed jobs due at one instant.
 */
import { randomUUID } from 'crypto';
import Bull from 'bull';
import { Client } from 'pg';
import pino from 'pino';
import { ExecutionsRepository } from '@vecron/db';
import { ExecutionDispatcher, EXECUTIONS_QUEUE, executionJobOptions, executionQueueOptions, type ExecutionJobData } from '@vecron/queue';
import { Child, CpuMeter, cpuSources, deleteRedisPrefix, PG_ADMIN_URL, pool, productEnv, REDIS_URL, removeObjects, sleep, summarize, waitFor } from './common';
import { createJobs, dropDatabase, freshDatabase, httpJobDefinition, HttpTarget, ONE_TIME } from './fixtures';
import { ConsumerChild, startProduct, workerEnv } from './procs';

export interface FireLagOptions {
  jobs: number;
  workers: number;
  concurrency: number;
  /** Estimated ms to create one job (S3 + row), to place the due instant ~10 s after creation ends. */
  createMsPerJob: number;
  /** Extra scheduler env (e.g. SCHEDULER_LOOKAHEAD_MS) for a variant. */
  schedulerEnv?: Record<string, string>;
  /** Extra worker env for a variant. */
  workerEnv?: Record<string, string>;
  label?: string;
  /**
   * Manual executions run through the workers before the fire jobs are created (JIT, pg pools,
   * keep-alive sockets warm, as in a worker that has been running). 0 = workers fresh from start.
   */
  prewarm?: number;
}

export interface FireLagResult {
  label: string;
  jobs: number;
  fired: number;
  ok: number;
  /** Seconds between the last job row committed and the due instant. */
  marginS: number;
  schedulerEnv: Record<string, string>;
  /** Slots: workers x WORKER_CONCURRENCY. */
  workers: number;
  concurrency: number;
  /** HTTP arrival − scheduled_for. */
  fireLag: ReturnType<typeof summarize>;
  /** started_at (worker claim) − scheduled_for. */
  startLag: ReturnType<typeof summarize>;
  /** The first step's start in the worker (its attempt record's started_at) − scheduled_for. */
  stepLag: ReturnType<typeof summarize>;
  /** created_at of the execution row (scheduler insert) − scheduled_for: negative = enqueued ahead. */
  enqueueLag: ReturnType<typeof summarize>;
  /** First to last execution row insert by the scheduler, ms. */
  schedulerSpreadMs: number;
  /** Fires whose HTTP request arrived within 50 ms of the due instant. */
  within50ms: number;
  /** How the fires were shared between the workers (count per worker, largest first). */
  perWorker: number[];
  /** Executions finished per second from the due instant to the last completion. */
  drainPerSecond: number;
  /** Manual executions run before (see FireLagOptions.prewarm). */
  prewarm: number;
  /** The workers' PostgreSQL connections 1 s before the due instant. */
  workerConnectionsBefore: number;
  /** CPU ms per fire by process group, from jobs in place to all finished. */
  cpuPerExec: Record<string, number>;
}

/**
 * Node options of the (b) workers: BENCH_FIRE_WORKER_NODE_ARGS (space-separated, e.g.
 * `--max-semi-space-size=64`), and with BENCH_FIRE_WORKER_CPU_PROF=dir a V8 CPU profile each
 * writes there when it stops.
 */
function profileArgs(): string[] {
  const dir = process.env.BENCH_FIRE_WORKER_CPU_PROF;
  const extra = process.env.BENCH_FIRE_WORKER_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? [];
  return [...extra, ...(dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [])];
}

export async function runFireLag(target: HttpTarget, o: FireLagOptions): Promise<FireLagResult> {
  const label = o.label ?? `scheduler + ${o.workers} workers`;
  const dbName = `vecron_bench_b_${(o.label ?? 'default').replace(/[^a-z0-9]+/gi, '_').toLowerCase()}`.slice(0, 60);
  const prefix = `vbench-b-${Date.now().toString(36)}`;
  const { url, db } = await freshDatabase(dbName);
  const procs: Child[] = [];
  const keys: string[] = [];
  const lead = process.env.BENCH_FIRE_PREPARE_LEAD_MS;
  const schedulerEnv = { SCHEDULER_TICK_MS: '250', SCHEDULER_LOOKAHEAD_MS: '1000', ...(lead === undefined ? {} : { SCHEDULER_PREPARE_LEAD_MS: lead }), ...o.schedulerEnv };
  try {
    for (let w = 0; w < o.workers; w++) {
      procs.push(await startProduct('worker', `b-worker-${w + 1}`, { ...workerEnv(url, prefix, `w${w + 1}`, o.concurrency), ...o.workerEnv }, 'worker taking executions', profileArgs()));
    }
    procs.push(await startProduct('scheduler', 'b-scheduler', productEnv(url, prefix, schedulerEnv), 'scheduler started'));

    const prewarm = o.prewarm ?? 0;
    if (prewarm > 0) {
      const stepUrl = target.url('?e={{execution_id}}');
      const { ids: [warmJob], keys: warmKeys } = await createJobs(db, [{ definition: httpJobDefinition('bench-b-warm', stepUrl, null), nextRunAt: null }]);
      keys.push(...warmKeys);
      const queue = new Bull<ExecutionJobData>(EXECUTIONS_QUEUE, executionQueueOptions(REDIS_URL, prefix));
      try {
        const dispatcher = new ExecutionDispatcher({ executions: new ExecutionsRepository(db), queue, logger: pino({ level: 'warn' }) });
        await pool(Array.from({ length: prewarm }), 32, async () => {
          await dispatcher.dispatch({ jobId: warmJob!, definitionVersion: 1, triggerSource: 'manual', allowConcurrent: true });
        });
      } finally {
        await queue.close().catch(() => undefined);
      }
      await waitFor(async () => {
        const { rows } = await db.query<{ n: string }>(`select count(*) as n from job_executions where status not in ('pending','running')`);
        return Number(rows[0]!.n) >= prewarm;
      }, 60_000, `${label}: ${prewarm} warm-up executions`, 100);
    }

    const due = new Date(Math.ceil((Date.now() + 10_000 + o.jobs * o.createMsPerJob) / 1000) * 1000);
    const stepUrl = target.url('?e={{execution_id}}');
    const created = await createJobs(
      db,
      Array.from({ length: o.jobs }, (_, i) => ({ definition: httpJobDefinition(`bench-b-${i}`, stepUrl, ONE_TIME(due)), nextRunAt: due })),
    );
    keys.push(...created.keys);
    const marginS = (due.getTime() - Date.now()) / 1000;
    target.reset();
    const workerPids = procs.slice(0, o.workers).map((p) => p.pid);
    const schedulerPid = procs[o.workers]!.pid;
    const meter = new CpuMeter(cpuSources(() => ({ 'worker processes': workerPids, scheduler: [schedulerPid] })));
    meter.begin();

    const terminal = async (): Promise<number> => {
      const { rows } = await db.query<{ n: string }>(
        `select count(*) as n from job_executions where trigger_source = 'scheduled' and status not in ('pending','running')`,
      );
      return Number(rows[0]!.n);
    };
    await sleep(Math.max(0, due.getTime() - 1000 - Date.now()));
    const { rows: conn } = await db.query<{ n: string }>(
      `select count(*) as n from pg_stat_activity where datname = current_database() and application_name = 'vecron-worker'`,
    );
    const workerConnectionsBefore = Number(conn[0]!.n);
    await sleep(Math.max(0, due.getTime() - Date.now()));
    // Bounded: stops waiting 120 s after the due instant and reports what ran.
    while ((await terminal()) < o.jobs && Date.now() < due.getTime() + 120_000) await sleep(250);
    const cpu = meter.end();
    const cpuPerExec: Record<string, number> = {};
    let ours = 0;
    for (const [k, v] of Object.entries(cpu)) {
      if (k === 'machine busy' || k === 'machine total') continue;
      cpuPerExec[k] = v / o.jobs;
      ours += v;
    }
    cpuPerExec['other (not attributed)'] = Math.max(0, (cpu['machine busy']! - ours) / o.jobs);
    cpuPerExec['machine total busy'] = cpu['machine busy']! / o.jobs;

    const { rows: all } = await db.query<{ id: string; job_id: string; status: string; src: string; worker: string | null; due: number; created: number; started: number | null; completed: number | null; step: number | null }>(
      `select id, job_id, status, trigger_source as src, worker_id as worker, extract(epoch from scheduled_for)*1000 as due, extract(epoch from created_at)*1000 as created,
              extract(epoch from started_at)*1000 as started, extract(epoch from completed_at)*1000 as completed,
              (select extract(epoch from min(a.started_at))*1000 from execution_attempts a where a.execution_id = job_executions.id) as step
       from job_executions`,
    );
    keys.push(...all.map((r) => `jobs/${r.job_id}/executions/${r.id}/context.json`));
    const rows = all.filter((r) => r.src === 'scheduled');
    const fireLag: number[] = [];
    const startLag: number[] = [];
    const stepLag: number[] = [];
    const enqueueLag: number[] = [];
    for (const r of rows) {
      const hit = target.hits.get(r.id);
      if (hit !== undefined) fireLag.push(hit - Number(r.due));
      if (r.started !== null) startLag.push(Number(r.started) - Number(r.due));
      if (r.step !== null) stepLag.push(Number(r.step) - Number(r.due));
      enqueueLag.push(Number(r.created) - Number(r.due));
    }
    const createdTimes = rows.map((r) => Number(r.created));
    const perWorker = new Map<string, number>();
    for (const r of rows) perWorker.set(r.worker ?? '-', (perWorker.get(r.worker ?? '-') ?? 0) + 1);
    return {
      label,
      jobs: o.jobs,
      fired: rows.length,
      ok: rows.filter((r) => r.status === 'success').length,
      marginS,
      schedulerEnv,
      workers: o.workers,
      concurrency: o.concurrency,
      fireLag: summarize(fireLag),
      startLag: summarize(startLag),
      stepLag: summarize(stepLag),
      enqueueLag: summarize(enqueueLag),
      schedulerSpreadMs: Math.max(...createdTimes) - Math.min(...createdTimes),
      within50ms: fireLag.filter((l) => l <= 50).length,
      perWorker: [...perWorker.values()].sort((a, b) => b - a),
      drainPerSecond: rows.length / ((Math.max(...rows.map((r) => Number(r.completed ?? 0))) - due.getTime()) / 1000),
      cpuPerExec,
      prewarm,
      workerConnectionsBefore,
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await db.close().catch(() => undefined);
    await removeObjects(keys);
    await deleteRedisPrefix(prefix);
    await dropDatabase(dbName).catch(() => undefined);
  }
}

export interface BullLagResult {
  jobs: number;
  consumers: number;
  lag: ReturnType<typeof summarize>;
}

/** Bull alone: N delayed no-op jobs due at one instant, consumed by `consumers` processes of `concurrency`. */
export async function runBullDelayedLag(jobs: number, consumers: number, concurrency: number): Promise<BullLagResult> {
  const prefix = `vbench-b-bull-${Date.now().toString(36)}`;
  const queue = new Bull<ExecutionJobData & { due: number }>(EXECUTIONS_QUEUE, executionQueueOptions(REDIS_URL, prefix));
  const cs: ConsumerChild[] = [];
  try {
    for (let i = 0; i < consumers; i++) {
      cs.push(await ConsumerChild.start(`b-bull-${i + 1}`, { MODE: 'raw-bull', QUEUE_PREFIX: prefix, CONCURRENCY: String(concurrency) }));
    }
    await queue.isReady();
    const due = Math.ceil((Date.now() + 3000) / 1000) * 1000;
    await pool(Array.from({ length: jobs }), 50, async () => {
      const id = randomUUID();
      await queue.add({ execution_id: id, job_id: id, due }, executionJobOptions(id, due - Date.now()));
    });
    if (Date.now() > due - 500) process.stderr.write('warning: Bull delayed jobs were added less than 500 ms before due\n');
    const reports = await waitFor(async () => {
      const rs = await Promise.all(cs.map((c) => c.report()));
      return rs.reduce((a, r) => a + r.done, 0) >= jobs ? rs : null;
    }, 60_000, 'Bull delayed jobs', 100);
    return { jobs, consumers, lag: summarize(reports.flatMap((r) => r.lags)) };
  } finally {
    await Promise.all(cs.map((c) => c.child.stop()));
    await queue.close().catch(() => undefined);
    await deleteRedisPrefix(prefix);
  }
}

export interface BurstResult {
  connectionsBefore: number;
  claimLag: ReturnType<typeof summarize>;
  httpLag: ReturnType<typeof summarize>;
}

export interface PoolWarmthResult {
  executions: number;
  idleMs: number;
  /** The first burst the workers see after start (nothing run yet). */
  first: BurstResult;
  /** The same burst after `idleMs` without work (pg's default idle timeout was 10 s). */
  afterIdle: BurstResult;
  /** The same burst again right away. */
  warm: BurstResult;
}

/**
 * Whether a burst after a quiet period starts late: `executions` manual executions dispatched at
 * once to 2 workers just started (first), then again after `idleMs` without work, then again
 * right away. Lags are measured from the end of the dispatch (all rows inserted and Bull jobs added).
 */
export async function runPoolWarmth(target: HttpTarget, executions: number, idleMs: number, concurrency: number): Promise<PoolWarmthResult> {
  const dbName = 'vecron_bench_b_pool';
  const prefix = `vbench-b-pool-${Date.now().toString(36)}`;
  const { url, db } = await freshDatabase(dbName);
  const admin = new Client({ connectionString: PG_ADMIN_URL, application_name: 'vecron-bench-admin' });
  await admin.connect();
  const procs: Child[] = [];
  const keys: string[] = [];
  const queue = new Bull<ExecutionJobData>(EXECUTIONS_QUEUE, executionQueueOptions(REDIS_URL, prefix));
  try {
    const stepUrl = target.url('?e={{execution_id}}');
    const { ids, keys: defKeys } = await createJobs(db, Array.from({ length: executions }, (_, i) => ({ definition: httpJobDefinition(`bench-pool-${i}`, stepUrl, null), nextRunAt: null })));
    keys.push(...defKeys);
    for (let w = 0; w < 2; w++) procs.push(await startProduct('worker', `b-pool-worker-${w + 1}`, workerEnv(url, prefix, `w${w + 1}`, concurrency), 'worker taking executions'));
    const dispatcher = new ExecutionDispatcher({ executions: new ExecutionsRepository(db), queue, logger: pino({ level: 'warn' }) });
    const connections = async (): Promise<number> =>
      Number((await admin.query<{ n: string }>(`select count(*) as n from pg_stat_activity where datname = $1 and application_name = 'vecron-worker'`, [dbName])).rows[0]!.n);
    const burst = async (): Promise<BurstResult> => {
      const connectionsBefore = await connections();
      const rs = await Promise.all(ids.map((jobId) => dispatcher.dispatch({ jobId, definitionVersion: 1, triggerSource: 'manual', allowConcurrent: true })));
      const dispatched = Date.now();
      const eids = rs.map((r) => r.executionId!);
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const { rows } = await db.query<{ n: string }>(`select count(*) as n from job_executions where id = any($1) and status not in ('pending','running')`, [eids]);
        if (Number(rows[0]!.n) >= eids.length) break;
        await sleep(50);
      }
      const { rows } = await db.query<{ id: string; job_id: string; s: number | null }>(
        `select id, job_id, extract(epoch from started_at)*1000 as s from job_executions where id = any($1)`,
        [eids],
      );
      keys.push(...rows.map((r) => `jobs/${r.job_id}/executions/${r.id}/context.json`));
      return {
        connectionsBefore,
        claimLag: summarize(rows.filter((r) => r.s !== null).map((r) => Number(r.s) - dispatched)),
        httpLag: summarize(eids.filter((e) => target.hits.has(e)).map((e) => target.hits.get(e)! - dispatched)),
      };
    };
    await sleep(2000);
    const first = await burst();
    await sleep(idleMs);
    const afterIdle = await burst();
    const warm = await burst();
    return { executions, idleMs, first, afterIdle, warm };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await queue.close().catch(() => undefined);
    await admin.end().catch(() => undefined);
    await db.close().catch(() => undefined);
    await removeObjects(keys);
    await deleteRedisPrefix(prefix);
    await dropDatabase(dbName).catch(() => undefined);
  }
}

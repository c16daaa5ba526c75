/**
 * (a) End-to-end throughput of single-HTTP-step executions: the product pipeline (ExecutionDispatcher
 * → Bull → worker processes) against a minimal-I/O consumer and raw Bull, same servers, same run.
 */
import { randomUUID } from 'crypto';
import { mkdirSync, readdirSync, rmSync } from 'fs';
import path from 'path';
import Bull from 'bull';
import pino from 'pino';
import { ExecutionsRepository } from '@vecron/db';
import { ExecutionDispatcher, EXECUTIONS_QUEUE, executionJobOptions, executionQueueOptions, type ExecutionJobData } from '@vecron/queue';
import {
  Child,
  CpuMeter,
  cpuSources,
  deleteRedisPrefix,
  LOG_DIR,
  pool,
  REDIS_URL,
  removeObjects,
  sleep,
  summarize,
  waitFor,
} from './common';
import { benchStorage, createJobs, dropDatabase, freshDatabase, httpJobDefinition, HttpTarget } from './fixtures';
import { ConsumerChild, startProduct, workerEnv } from './procs';
import { summarizeProfile, type ProfileSummary } from './profile';

export interface ThroughputOptions {
  n: number;
  warmup: number;
  concurrency: number;
  jobs: number;
  producerConcurrency: number;
}

export interface ThroughputResult {
  label: string;
  kind: 'pipeline' | 'minimal' | 'raw-bull';
  processes: number;
  n: number;
  ok: number;
  seconds: number;
  perSecond: number;
  dispatchPerSecond: number;
  latency?: ReturnType<typeof summarize>;
  queueWait?: ReturnType<typeof summarize>;
  preStep?: ReturnType<typeof summarize>;
  postStep?: ReturnType<typeof summarize>;
  /** CPU ms per execution by process group. */
  cpuPerExec: Record<string, number>;
  machineBusyPct: number;
  /** exec/s of each round. */
  rounds?: number[];
  contextsChecked?: number;
  profile?: ProfileSummary;
}

/** CPU of this run's own database backends: a subset of `postgres`, left out of the sums. */
export const DB_BACKENDS = 'postgres: this db\'s backends';

const TERMINAL = `('success','failed','timeout','cancelled','dead_letter')`;
/** ExecutionsRepository.insertPendingMany (the unnest form every producer now uses), with one row. */
const INSERT_PENDING = `insert into job_executions (id, job_id, idempotency_key, status, trigger_source, trigger_metadata, attempt, scheduled_for,
         definition_version, context_path, exclusive)
       select id, job_id, key, 'pending', src, meta, attempt, sched, version, path, excl
       from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::int[], $7::timestamptz[], $8::int[], $9::text[], $10::bool[])
         as u(id, job_id, key, src, meta, attempt, sched, version, path, excl)
       on conflict (idempotency_key) do nothing returning id, job_id, idempotency_key, status, trigger_source, trigger_metadata, attempt, scheduled_for, current_step,
  context_path, definition_version, worker_id, started_at, completed_at, error, created_at, updated_at`;

type Produce = (jobId: string, key: string) => Promise<string>;

/** One measured run (a round); rounds of the same configuration are combined with `combine`. */
export interface RunSample {
  label: string;
  kind: 'pipeline' | 'minimal';
  processes: number;
  n: number;
  ok: number;
  seconds: number;
  dispatchMs: number;
  lat: number[];
  wait: number[];
  pre: number[];
  post: number[];
  /** CPU ms by process group over the measured window. */
  cpuDelta: Record<string, number>;
  contextsChecked: number;
  /** ms to create the jobs (S3 definitions + rows). */
  createMs: number;
  jobs: number;
  profile?: ProfileSummary;
}

/** Sums rounds: exec/s = Σn / Σseconds; percentiles over every execution; CPU per execution over all. */
export function combine(samples: RunSample[]): ThroughputResult {
  const first = samples[0]!;
  const n = samples.reduce((a, s) => a + s.n, 0);
  const cpuDelta: Record<string, number> = {};
  for (const s of samples) for (const [k, v] of Object.entries(s.cpuDelta)) cpuDelta[k] = (cpuDelta[k] ?? 0) + v;
  const cpu = cpuTable(cpuDelta, n);
  const seconds = samples.reduce((a, s) => a + s.seconds, 0);
  return {
    label: first.label,
    kind: first.kind,
    processes: first.processes,
    n,
    ok: samples.reduce((a, s) => a + s.ok, 0),
    seconds,
    perSecond: n / seconds,
    dispatchPerSecond: n / (samples.reduce((a, s) => a + s.dispatchMs, 0) / 1000),
    rounds: samples.map((s) => s.n / s.seconds),
    latency: summarize(samples.flatMap((s) => s.lat)),
    queueWait: summarize(samples.flatMap((s) => s.wait)),
    preStep: summarize(samples.flatMap((s) => s.pre)),
    postStep: summarize(samples.flatMap((s) => s.post)),
    cpuPerExec: cpu.perExec,
    machineBusyPct: cpu.busyPct,
    contextsChecked: samples.reduce((a, s) => a + s.contextsChecked, 0),
    ...(first.profile ? { profile: first.profile } : {}),
  };
}

function cpuTable(delta: Record<string, number>, n: number): { perExec: Record<string, number>; busyPct: number } {
  const perExec: Record<string, number> = {};
  let ours = 0;
  for (const [k, v] of Object.entries(delta)) {
    if (k === 'machine busy' || k === 'machine total') continue;
    perExec[k] = v / n;
    if (k !== DB_BACKENDS) ours += v;
  }
  perExec['sum of the above'] = ours / n;
  perExec['other (not attributed)'] = Math.max(0, (delta['machine busy']! - ours) / n);
  perExec['machine total busy'] = delta['machine busy']! / n;
  return { perExec, busyPct: (100 * delta['machine busy']!) / delta['machine total']! };
}

/** One pipeline or minimal run: fresh database, jobs, consumers, warm-up, then N measured executions. */
export async function runExecutions(
  kind: 'pipeline' | 'minimal',
  processes: number,
  target: HttpTarget,
  o: ThroughputOptions,
  profile = false,
): Promise<RunSample> {
  const label = `${kind} x${processes}${profile ? ' (cpu-prof)' : ''}`;
  const dbName = `vecron_bench_a_${kind}_${processes}${profile ? '_prof' : ''}`;
  const prefix = `vbench-a-${kind}${processes}-${Date.now().toString(36)}`;
  const { url, db } = await freshDatabase(dbName);
  const consumers: Child[] = [];
  const ipc: ConsumerChild[] = [];
  const queue = new Bull<ExecutionJobData>(EXECUTIONS_QUEUE, executionQueueOptions(REDIS_URL, prefix));
  const keys: string[] = [];
  const executed: { id: string; job_id: string }[] = [];
  const profDir = path.join(LOG_DIR, 'prof');
  try {
    const stepUrl = target.url('?e={{execution_id}}');
    const tc = Date.now();
    const { ids: jobIds, keys: defKeys } = await createJobs(
      db,
      Array.from({ length: o.jobs }, (_, i) => ({ definition: httpJobDefinition(`bench-a-${i}`, stepUrl, null), nextRunAt: null })),
    );
    keys.push(...defKeys);
    const createMs = Date.now() - tc;

    for (let p = 0; p < processes; p++) {
      const name = `a-${kind}${processes}${profile ? '-prof' : ''}-${p + 1}`;
      if (kind === 'pipeline') {
        const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
        if (profile) {
          rmSync(profDir, { recursive: true, force: true });
          mkdirSync(profDir, { recursive: true });
        }
        consumers.push(await startProduct('worker', name, workerEnv(url, prefix, `w${p + 1}`, o.concurrency), 'worker taking executions', nodeArgs));
      } else {
        const c = await ConsumerChild.start(name, { MODE: 'minimal', QUEUE_PREFIX: prefix, CONCURRENCY: String(o.concurrency), DATABASE_URL: url, WORKER_ID: `m${p + 1}` });
        ipc.push(c);
        consumers.push(c.child);
      }
    }
    await queue.isReady();

    let produce: Produce;
    if (kind === 'pipeline') {
      const dispatcher = new ExecutionDispatcher({ executions: new ExecutionsRepository(db), queue, logger: pino({ level: 'warn' }) });
      produce = async (jobId, key) => {
        const r = await dispatcher.dispatch({ jobId, definitionVersion: 1, triggerSource: 'manual', idempotencyKey: key, allowConcurrent: true });
        return r.executionId!;
      };
    } else {
      produce = async (jobId, key) => {
        const id = randomUUID();
        await db.query(INSERT_PENDING, [[id], [jobId], [key], ['manual'], ['{}'], [1], [null], [1], [`jobs/${jobId}/executions/${id}/context.json`], [false]]);
        // ExecutionDispatcher.enqueueMany: one addBulk round trip (here with one job).
        await queue.addBulk([{ data: { execution_id: id, job_id: jobId }, opts: executionJobOptions(id, 0) }]);
        return id;
      };
    }

    const batch = async (tag: string, count: number): Promise<number> => {
      const items = Array.from({ length: count }, (_, i) => i);
      const t0 = Date.now();
      await pool(items, o.producerConcurrency, async (i) => {
        const jobId = jobIds[i % jobIds.length]!;
        const id = await produce(jobId, `bench:${tag}:${i}`);
        executed.push({ id, job_id: jobId });
      });
      return Date.now() - t0;
    };
    const terminalCount = async (): Promise<number> => {
      const { rows } = await db.query<{ n: string }>(`select count(*) as n from job_executions where status in ${TERMINAL}`);
      return Number(rows[0]!.n);
    };

    // Warm-up (JIT, pools, keep-alive sockets), not measured.
    await batch('warm', o.warmup);
    await waitFor(async () => (await terminalCount()) >= o.warmup, 120_000, `${label}: warm-up executions`, 100);
    await sleep(300);

    // Backends of this bench database (the shared server also serves other people's tests).
    let dbPids: number[] = [];
    const refreshDbPids = async (): Promise<void> => {
      const { rows } = await db.query<{ pid: number }>(`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`);
      dbPids = rows.map((r) => r.pid);
    };
    const meter = new CpuMeter(
      cpuSources(() => ({ [kind === 'pipeline' ? 'worker process(es)' : 'minimal consumer(s)']: consumers.map((c) => c.pid), [DB_BACKENDS]: dbPids })),
    );
    target.reset();
    await refreshDbPids();
    meter.begin();
    const t0 = Date.now();
    const dispatchMs = await batch('run', o.n);
    await waitFor(async () => (await terminalCount()) >= o.warmup + o.n, 300_000, `${label}: ${o.n} executions to finish`, 100);
    await refreshDbPids();
    const cpuDelta = meter.end();

    const { rows } = await db.query<{ id: string; status: string; created: number; started: number | null; completed: number | null }>(
      `select id, status, extract(epoch from created_at)*1000 as created, extract(epoch from started_at)*1000 as started,
              extract(epoch from completed_at)*1000 as completed
         from job_executions where idempotency_key like 'bench:run:%'`,
    );
    const end = Math.max(...rows.map((r) => Number(r.completed ?? 0)));
    const seconds = (end - t0) / 1000;
    const ok = rows.filter((r) => r.status === 'success').length;
    const lat = rows.filter((r) => r.completed !== null).map((r) => Number(r.completed) - Number(r.created));
    const wait = rows.filter((r) => r.started !== null).map((r) => Number(r.started) - Number(r.created));
    const pre: number[] = [];
    const post: number[] = [];
    for (const r of rows) {
      const hit = target.hits.get(r.id);
      if (hit === undefined || r.started === null || r.completed === null) continue;
      pre.push(hit - Number(r.started));
      post.push(Number(r.completed) - hit);
    }

    // The context of a few executions is in object storage with the step's output.
    const storage = benchStorage();
    let contextsChecked = 0;
    for (const r of rows.slice(0, 5)) {
      const e = executed.find((x) => x.id === r.id)!;
      const ctx = JSON.parse((await storage.get(`jobs/${e.job_id}/executions/${e.id}/context.json`)).toString('utf8')) as {
        steps: Record<string, { status: string; output?: { status: number } }>;
      };
      if (ctx.steps.call?.status === 'success' && ctx.steps.call.output?.status === 200) contextsChecked++;
    }

    const result: RunSample = { label, kind, processes, n: o.n, ok, seconds, dispatchMs, lat, wait, pre, post, cpuDelta, contextsChecked, createMs, jobs: o.jobs };
    if (profile) {
      // Only the samples of the measured window (the profile also covers boot, warm-up and exit).
      await Promise.all(consumers.map((c) => c.stop()));
      const exitedAt = Date.now();
      const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
      if (files.length) result.profile = summarizeProfile(path.join(profDir, files[0]!), { from: t0, to: end, endWall: exitedAt });
    }
    return result;
  } finally {
    await Promise.all(consumers.map((c) => c.stop()));
    await queue.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    keys.push(...executed.map((e) => `jobs/${e.job_id}/executions/${e.id}/context.json`));
    await removeObjects(keys);
    await deleteRedisPrefix(prefix);
    await dropDatabase(dbName).catch(() => undefined);
  }
}

/** Raw Bull: no-op processor, one consumer process, same queue options and job options as the product. */
export async function runRawBull(n: number, warmup: number, concurrency: number, producerConcurrency: number): Promise<ThroughputResult> {
  const prefix = `vbench-a-raw-${Date.now().toString(36)}`;
  const queue = new Bull<ExecutionJobData>(EXECUTIONS_QUEUE, executionQueueOptions(REDIS_URL, prefix));
  let consumer: ConsumerChild | null = null;
  try {
    consumer = await ConsumerChild.start('a-raw-bull', { MODE: 'raw-bull', QUEUE_PREFIX: prefix, CONCURRENCY: String(concurrency) });
    await queue.isReady();
    const add = async (): Promise<void> => {
      const id = randomUUID();
      await queue.add({ execution_id: id, job_id: id }, executionJobOptions(id, 0));
    };
    await pool(Array.from({ length: warmup }), producerConcurrency, add);
    await waitFor(async () => (await consumer!.report()).done >= warmup, 60_000, 'raw Bull warm-up', 50);
    const pid = consumer.child.pid;
    const meter = new CpuMeter(cpuSources(() => ({ 'bull consumer': [pid] })));
    meter.begin();
    const t0 = Date.now();
    await pool(Array.from({ length: n }), producerConcurrency, add);
    const dispatchMs = Date.now() - t0;
    const rep = await waitFor(async () => {
      const r = await consumer!.report();
      return r.done >= warmup + n ? r : null;
    }, 120_000, 'raw Bull jobs', 20);
    const cpu = cpuTable(meter.end(), n);
    const seconds = (rep.lastDoneAt - t0) / 1000;
    return {
      label: 'raw Bull no-op x1',
      kind: 'raw-bull',
      processes: 1,
      n,
      ok: rep.done - warmup,
      seconds,
      perSecond: n / seconds,
      dispatchPerSecond: n / (dispatchMs / 1000),
      cpuPerExec: cpu.perExec,
      machineBusyPct: cpu.busyPct,
    };
  } finally {
    await consumer?.child.stop();
    await queue.close().catch(() => undefined);
    await deleteRedisPrefix(prefix);
  }
}

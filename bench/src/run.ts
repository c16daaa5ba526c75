/**
 * vecron benchmark: one command, one run, three sections (see bench/README.md).
 *
 *   pnpm --filter @vecron/bench bench        (builds bench/, then runs this)
 *   node bench/dist/run.js                   (after `pnpm --filter @vecron/bench build`)
 *
 * Env: BENCH_SECTIONS=a,b,c  BENCH_N=3000  BENCH_WARMUP=300  BENCH_CONCURRENCY=50  BENCH_JOBS_A=100
 *      BENCH_FIRE_JOBS=1000  BENCH_FIRE_SMALL=50  BENCH_SCHED_SIZES=10000,100000  BENCH_PROFILE=auto|1|0
 *      BENCH_DEADLINE_MS=720000  BENCH_FIRE_VARIANT=0 (skip the 1000-job look-ahead 20 s run)
 *      BENCH_FIRE_SIZED=0 (skip the 1000-job run sized for the burst; its lead: BENCH_FIRE_SIZED_LEAD_MS=15000)
 *      BENCH_FIRE_DEFAULT=0 (skip the 1000-job run with the defaults)  BENCH_FIRE_WORKER_CPU_PROF=dir
 *      BENCH_FIRE_WORKER_NODE_ARGS='--max-semi-space-size=64' (node options of the (b) workers)
 *      BENCH_FIRE_PREPARE_LEAD_MS (the
 *      schedulers' SCHEDULER_PREPARE_LEAD_MS in every (b) run unless the run sets it; 0 = fires delivered at due)
 */
import { existsSync, mkdirSync, writeFileSync } from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { Client } from 'pg';
import { BENCH_DIR, CLK_TCK, ensureBucket, fmt, PG_ADMIN_URL, productMain, REDIS_URL, S3_PORT, stopAll, table } from './common';
import { runBullDelayedLag, runFireLag, runPoolWarmth, type BullLagResult, type FireLagResult, type PoolWarmthResult } from './fire-lag';
import { HttpTarget } from './fixtures';
import { runSchedulerCost, type SchedulerCostResult } from './scheduler-cost';
import { combine, DB_BACKENDS, runExecutions, runRawBull, type RunSample, type ThroughputResult } from './throughput';

const env = (k: string, d: number): number => (process.env[k] ? Number(process.env[k]) : d);
const SECTIONS = new Set((process.env.BENCH_SECTIONS ?? 'a,b,c').split(',').map((s) => s.trim()));
const N = env('BENCH_N', 3000);
const WARMUP = env('BENCH_WARMUP', 300);
const CONCURRENCY = env('BENCH_CONCURRENCY', 50);
const JOBS_A = env('BENCH_JOBS_A', 100);
const FIRE_JOBS = env('BENCH_FIRE_JOBS', 1000);
/** A burst the box can absorb (0 = skip): the scheduler/queue's own lag apart from worker capacity. */
const FIRE_SMALL = env('BENCH_FIRE_SMALL', 50);
const SIZES = (process.env.BENCH_SCHED_SIZES ?? '10000,100000').split(',').map(Number);
const PROFILE = process.env.BENCH_PROFILE ?? 'auto';
const ROUNDS = env('BENCH_ROUNDS', 2);
const FIRE_VARIANT = process.env.BENCH_FIRE_VARIANT !== '0';
const FIRE_SIZED = process.env.BENCH_FIRE_SIZED !== '0';
const SIZED_LEAD_MS = env('BENCH_FIRE_SIZED_LEAD_MS', 15_000);
/** Hard stop for the whole run. */
const DEADLINE_MS = env('BENCH_DEADLINE_MS', 12 * 60_000);

const out: string[] = [];
function print(s: string): void {
  out.push(s);
  process.stdout.write(s + '\n');
}
const ms = (v: number): string => fmt(v, v < 10 ? 1 : 0);

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function environment(): Promise<Record<string, string>> {
  const pgPort = Number(new URL(PG_ADMIN_URL).port || 5432);
  const redisPort = Number(new URL(REDIS_URL).port || 6379);
  for (const [name, port] of [['PostgreSQL', pgPort], ['Redis', redisPort], ['S3 endpoint', S3_PORT]] as const) {
    if (!(await portOpen(port))) {
      throw new Error(`${name} is not listening on 127.0.0.1:${port}: run \`bash scripts/services.sh up\` first, or set VECRON_PG_PORT / VECRON_REDIS_PORT / VECRON_S3_PORT (see bench/README.md)`);
    }
  }
  const c = new Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    const { rows } = await c.query<{ name: string; setting: string; unit: string | null }>(
      `select name, setting, unit from pg_settings where name in ('server_version','fsync','synchronous_commit','shared_buffers','wal_level','full_page_writes','max_connections','commit_delay')`,
    );
    const pg = Object.fromEntries(rows.map((r) => [r.name, r.unit === '8kB' ? `${(Number(r.setting) * 8) / 1024} MB` : r.setting]));
    return {
      cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`,
      memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
      node: process.version,
      loadavg: os.loadavg().map((l) => l.toFixed(2)).join(' '),
      postgres: `${pg.server_version} fsync=${pg.fsync} synchronous_commit=${pg.synchronous_commit} full_page_writes=${pg.full_page_writes} shared_buffers=${pg.shared_buffers} wal_level=${pg.wal_level} max_connections=${pg.max_connections}`,
      clk_tck: String(CLK_TCK),
    };
  } finally {
    await c.end();
  }
}

function throughputTables(results: ThroughputResult[]): void {
  print(
    table(
      `(a) end-to-end throughput — ${N} single-HTTP-step executions per configuration (${ROUNDS} ABBA rounds), concurrency ${CONCURRENCY} per process, ${JOBS_A} jobs, load driven through ExecutionDispatcher (row + Bull job)`,
      ['run', 'exec/s', 'per round', 'seconds', 'success', 'contexts checked', 'dispatch/s', 'latency p50 ms', 'latency p99 ms', 'machine busy %'],
      results.map((r) => [
        r.label,
        fmt(r.perSecond),
        r.rounds ? r.rounds.map((x) => fmt(x)).join(' / ') : '-',
        fmt(r.seconds, 2),
        `${r.ok}/${r.n}`,
        r.contextsChecked === undefined ? '-' : `${r.contextsChecked} ok`,
        fmt(r.dispatchPerSecond),
        r.latency ? ms(r.latency.p50) : '-',
        r.latency ? ms(r.latency.p99) : '-',
        fmt(r.machineBusyPct),
      ]),
    ),
  );
  const get = (label: string): ThroughputResult | undefined => results.find((r) => r.label === label);
  const raw = get('raw Bull no-op x1');
  const ratioRows: (string | number)[][] = [];
  for (const p of [1, 2]) {
    const pipe = get(`pipeline x${p}`);
    const min = get(`minimal x${p}`);
    if (pipe && min) ratioRows.push([`pipeline x${p} / minimal-I/O x${p}`, fmt(pipe.perSecond / min.perSecond, 2), '>= 0.50', pipe.perSecond / min.perSecond >= 0.5 ? 'met' : 'NOT met']);
    if (pipe && raw) ratioRows.push([`pipeline x${p} / raw Bull x1`, fmt(pipe.perSecond / raw.perSecond, 3), '-', '']);
  }
  print(table('(a) ratios', ['ratio', 'value', 'target', ''], ratioRows));
  // Noise-robust cross-check: the box is CPU-bound, so capacity ≈ cores / CPU per execution of the
  // processes an execution needs (consumer, this db's PostgreSQL backends, redis, s3rver, driver).
  const cores = os.cpus().length;
  const need = (r: ThroughputResult): number =>
    ['worker process(es)', 'minimal consumer(s)', DB_BACKENDS, 'redis', 's3rver', 'bench driver'].reduce((a, k) => a + (r.cpuPerExec[k] ?? 0), 0);
  const capRows: (string | number)[][] = [];
  for (const p of [1, 2]) {
    const pipe = get(`pipeline x${p}`);
    const min = get(`minimal x${p}`);
    if (!pipe || !min) continue;
    capRows.push([`x${p}`, fmt(need(min), 2), fmt(need(pipe), 2), fmt((cores * 1000) / need(min)), fmt((cores * 1000) / need(pipe)), fmt(need(min) / need(pipe), 2)]);
  }
  if (capRows.length) {
    print(
      table(
        `(a) CPU-bound capacity cross-check (${cores} cores / CPU ms per execution of the processes an execution needs; insensitive to other people's load)`,
        ['processes', 'minimal CPU ms/exec', 'pipeline CPU ms/exec', 'minimal est. exec/s', 'pipeline est. exec/s', 'pipeline / minimal'],
        capRows,
      ),
    );
  }

  const groups = new Set<string>();
  for (const r of results) for (const k of Object.keys(r.cpuPerExec)) groups.add(k);
  print(
    table(
      '(a) CPU time per execution, ms (from /proc; postgres = all its processes, including other users of the shared server)',
      ['process', ...results.map((r) => r.label)],
      [...groups].map((g) => [g, ...results.map((r) => (r.cpuPerExec[g] === undefined ? '-' : fmt(r.cpuPerExec[g]!, 2)))]),
    ),
  );
  const spans = results.filter((r) => r.preStep && r.preStep.n > 0);
  if (spans.length) {
    print(
      table(
        '(a) where an execution\'s time goes, p50 / p99 ms (queue wait = claim − row insert; pre-step = HTTP arrival − claim; post-step = finish − HTTP arrival)',
        ['run', 'queue wait', 'pre-step', 'post-step'],
        spans.map((r) => [
          r.label,
          `${ms(r.queueWait!.p50)} / ${ms(r.queueWait!.p99)}`,
          `${ms(r.preStep!.p50)} / ${ms(r.preStep!.p99)}`,
          `${ms(r.postStep!.p50)} / ${ms(r.postStep!.p99)}`,
        ]),
      ),
    );
  }
  for (const r of results) {
    if (!r.profile) continue;
    const p = r.profile;
    const pct = (v: number): string => `${fmt((100 * v) / p.busyMs, 1)} %`;
    print(`\n(a) worker CPU profile (${r.label}): ${fmt(p.busyMs)} ms busy of ${fmt(p.totalMs)} ms sampled; ${path.relative(BENCH_DIR, p.file)}`);
    print(table('self time by package', ['package', 'ms', 'share of busy'], p.selfByCategory.map((c) => [c.category, fmt(c.ms), pct(c.ms)])));
    print(table('inclusive time by package (stack contains a frame of it)', ['package', 'ms', 'share of busy'], p.inclusiveByCategory.map((c) => [c.category, fmt(c.ms), pct(c.ms)])));
    print(table('product frames by inclusive time', ['frame', 'ms', 'share of busy'], p.productFrames.map((c) => [c.frame, fmt(c.ms), pct(c.ms)])));
    print(table('top self-time functions', ['function', 'ms', 'share of busy'], p.topSelf.map((c) => [c.frame, fmt(c.ms), pct(c.ms)])));
  }
}

function fireLagTables(fl: FireLagResult[], bulls: BullLagResult[]): void {
  const rows: (string | number)[][] = [];
  for (const f of fl) {
    rows.push([`${f.label}: HTTP arrival − due`, f.fireLag.n, ms(f.fireLag.p50), ms(f.fireLag.p99), ms(f.fireLag.max)]);
    rows.push([`${f.label}: worker claim (started_at) − due`, f.startLag.n, ms(f.startLag.p50), ms(f.startLag.p99), ms(f.startLag.max)]);
    rows.push([`${f.label}: first step start in the worker (attempt started_at) − due`, f.stepLag.n, ms(f.stepLag.p50), ms(f.stepLag.p99), ms(f.stepLag.max)]);
    rows.push([`${f.label}: execution row insert − due`, f.enqueueLag.n, ms(f.enqueueLag.p50), ms(f.enqueueLag.p99), ms(f.enqueueLag.max)]);
  }
  for (const bull of bulls) {
    rows.push([`Bull alone: ${bull.jobs} delayed no-op jobs, ${bull.consumers} x concurrency ${CONCURRENCY}`, bull.lag.n, ms(bull.lag.p50), ms(bull.lag.p99), ms(bull.lag.max)]);
  }
  print(table(`(b) fire lag, one_time jobs due at the same instant, 2 workers x concurrency ${CONCURRENCY} (target p99 <= 50 ms)`, ['measure', 'n', 'p50 ms', 'p99 ms', 'max ms'], rows));
  for (const f of fl) {
    print(
      `    ${f.label}: ${f.fired}/${f.jobs} fired, ${f.ok} success, ${f.within50ms} within 50 ms of due; fires per worker ${f.perWorker.join(' / ')}; scheduler inserted the rows over ${fmt(f.schedulerSpreadMs)} ms; ` +
        `${fmt(f.drainPerSecond)} executions/s from due to the last completion; jobs were in place ${fmt(f.marginS, 1)} s before due; ` +
        `${f.prewarm} warm-up executions before; worker PG connections 1 s before due: ${f.workerConnectionsBefore}; ${f.workers} workers x concurrency ${f.concurrency}; scheduler env ${JSON.stringify(f.schedulerEnv)}`,
    );
  }
  const groups = new Set<string>();
  for (const f of fl) for (const k of Object.keys(f.cpuPerExec)) groups.add(k);
  print(
    table(
      '(b) CPU time per fire, ms (jobs in place → all finished)',
      ['process', ...fl.map((f) => f.label)],
      [...groups].map((g) => [g, ...fl.map((f) => (f.cpuPerExec[g] === undefined ? '-' : fmt(f.cpuPerExec[g]!, 2)))]),
    ),
  );
}

function poolWarmthTable(w: PoolWarmthResult): void {
  const row = (label: string, r: PoolWarmthResult['first']): (string | number)[] => [
    label, r.connectionsBefore, `${ms(r.claimLag.p50)} / ${ms(r.claimLag.p99)}`, `${ms(r.httpLag.p50)} / ${ms(r.httpLag.p99)}`,
  ];
  print(
    table(
      `(b) burst of ${w.executions} manual executions on 2 workers: first after start, after ${w.idleMs / 1000} s without work, right after (lags from the end of dispatch)`,
      ['burst', 'worker PG connections before', 'claim lag p50 / p99 ms', 'HTTP arrival lag p50 / p99 ms'],
      [row('first after worker start', w.first), row(`after ${w.idleMs / 1000} s idle`, w.afterIdle), row('right after (warm)', w.warm)],
    ),
  );
}

function schedulerTable(rs: SchedulerCostResult[]): void {
  print(
    table(
      '(c) scheduler with N enabled jobs, 5 due (targets: CPU/tick flat 10k→100k, cold start < 10 s at 100k)',
      ['jobs', 'boot ms', 'cold start ms', 'fired', 'scheduler CPU/tick ms', 'its PG backend CPU/tick ms', 'RSS MB', 'findDue query ms', 'window s', 'ticks'],
      rs.map((r) => [
        fmt(r.jobs),
        fmt(r.bootMs),
        fmt(r.coldStartMs),
        r.firedRows,
        fmt(r.cpuPerTickMs, 2),
        fmt(r.pgBackendCpuPerTickMs, 2),
        fmt(r.rssMb, 0),
        fmt(r.findDueQueryMs, 3),
        fmt(r.windowS, 1),
        fmt(r.ticks, 0),
      ]),
    ),
  );
}

async function main(): Promise<void> {
  for (const app of ['worker', 'scheduler'] as const) {
    if (!existsSync(productMain(app))) throw new Error(`${productMain(app)} is missing: build first (pnpm exec turbo run build)`);
  }
  const info = await environment();
  print(`# vecron bench — ${new Date().toISOString()}`);
  for (const [k, v] of Object.entries(info)) print(`    ${k}: ${v}`);
  await ensureBucket();
  const target = new HttpTarget();
  await target.start();
  const results: Record<string, unknown> = { info, options: { N, WARMUP, CONCURRENCY, JOBS_A, FIRE_JOBS, SIZES } };
  const started = Date.now();
  try {
    let createMsPerJob = 10;
    if (SECTIONS.has('a')) {
      // N executions per configuration, split in ROUNDS rounds run in ABBA order
      // (m1 p1 m2 p2 | p2 m2 p1 m1 | …) so that drifting background load hits both sides alike.
      const o = { n: Math.ceil(N / ROUNDS), warmup: WARMUP, concurrency: CONCURRENCY, jobs: JOBS_A, producerConcurrency: 32 };
      const raw = await runRawBull(Math.max(N, 10_000), 1000, CONCURRENCY, 50);
      process.stdout.write(`    … ${raw.label}: ${fmt(raw.perSecond)} jobs/s (${fmt((Date.now() - started) / 1000)} s elapsed)\n`);
      const configs: ['minimal' | 'pipeline', number][] = [['minimal', 1], ['pipeline', 1], ['minimal', 2], ['pipeline', 2]];
      const samples = new Map<string, RunSample[]>();
      for (let round = 0; round < ROUNDS; round++) {
        for (const [kind, procs] of round % 2 === 0 ? configs : [...configs].reverse()) {
          const r = await runExecutions(kind, procs, target, o);
          samples.set(r.label, [...(samples.get(r.label) ?? []), r]);
          createMsPerJob = Math.max(2, r.createMs / r.jobs);
          process.stdout.write(`    … round ${round + 1} ${r.label}: ${fmt(r.n / r.seconds)} exec/s (${r.ok}/${r.n} success, ${fmt((Date.now() - started) / 1000)} s elapsed)\n`);
        }
      }
      const a: ThroughputResult[] = [raw, ...[...samples.values()].map(combine)];
      const m1 = a.find((r) => r.label === 'minimal x1')!;
      const p1 = a.find((r) => r.label === 'pipeline x1')!;
      if (PROFILE === '1' || (PROFILE === 'auto' && p1.perSecond / m1.perSecond < 0.5)) {
        const prof = await runExecutions('pipeline', 1, target, { ...o, n: Math.min(N, 2000) }, true);
        process.stdout.write(`    … ${prof.label}: ${fmt(prof.n / prof.seconds)} exec/s (${fmt((Date.now() - started) / 1000)} s elapsed)\n`);
        a.push(combine([prof]));
      }
      results.a = a;
      throughputTables(a);
    }
    if (SECTIONS.has('b')) {
      const fl: FireLagResult[] = [];
      const fire = async (o: Partial<Parameters<typeof runFireLag>[1]> & { jobs: number; label: string }): Promise<void> => {
        fl.push(await runFireLag(target, { workers: 2, concurrency: CONCURRENCY, createMsPerJob, ...o }));
        process.stdout.write(`    … fire lag (${o.label}) done (${fmt((Date.now() - started) / 1000)} s elapsed)\n`);
      };
      if (process.env.BENCH_FIRE_DEFAULT !== '0') await fire({ jobs: FIRE_JOBS, label: `${FIRE_JOBS} jobs, defaults (tick 250 ms, look-ahead 1 s)` });
      if (FIRE_VARIANT) await fire({ jobs: FIRE_JOBS, label: `${FIRE_JOBS} jobs, look-ahead 20 s`, schedulerEnv: { SCHEDULER_LOOKAHEAD_MS: '20000' } });
      // Slots for the whole burst, and the fires delivered early enough to be prepared before due.
      if (FIRE_SIZED) {
        await fire({
          jobs: FIRE_JOBS,
          label: `${FIRE_JOBS} jobs, sized: 2 x ${Math.ceil(FIRE_JOBS / 2)} slots, look-ahead 20 s, lead ${SIZED_LEAD_MS / 1000} s`,
          concurrency: Math.ceil(FIRE_JOBS / 2),
          schedulerEnv: { SCHEDULER_LOOKAHEAD_MS: '20000', SCHEDULER_PREPARE_LEAD_MS: String(SIZED_LEAD_MS) },
        });
      }
      if (FIRE_SMALL > 0) {
        await fire({ jobs: FIRE_SMALL, label: `${FIRE_SMALL} jobs, defaults, workers fresh` });
        await fire({ jobs: FIRE_SMALL, label: `${FIRE_SMALL} jobs, defaults, workers warmed`, prewarm: 200 });
      }
      const bulls: BullLagResult[] = [await runBullDelayedLag(FIRE_JOBS, 2, CONCURRENCY)];
      if (FIRE_SMALL > 0) bulls.push(await runBullDelayedLag(FIRE_SMALL, 2, CONCURRENCY));
      const warmth = process.env.BENCH_POOL_WARMTH === '0' ? null : await runPoolWarmth(target, 100, 12_000, CONCURRENCY);
      results.b = { vecron: fl, bull: bulls, warmth };
      fireLagTables(fl, bulls);
      if (warmth) poolWarmthTable(warmth);
    }
    if (SECTIONS.has('c')) {
      const rs: SchedulerCostResult[] = [];
      for (const size of SIZES) {
        rs.push(await runSchedulerCost(size, { sizes: SIZES, due: 5, tickMs: 250, windowMs: 15_000 }));
        process.stdout.write(`    … scheduler ${size} jobs done (${fmt((Date.now() - started) / 1000)} s elapsed)\n`);
      }
      results.c = rs;
      schedulerTable(rs);
    }
  } finally {
    await stopAll();
    await target.stop();
  }
  print(`\ntotal bench time ${fmt((Date.now() - started) / 1000)} s; child logs in bench/logs/`);
  const dir = path.join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'latest.json'), JSON.stringify(results, null, 2));
  writeFileSync(path.join(dir, 'latest.txt'), out.join('\n') + '\n');
}

const deadline = setTimeout(() => {
  process.stderr.write(`bench deadline of ${DEADLINE_MS} ms reached: stopping children\n`);
  void stopAll().finally(() => process.exit(2));
}, DEADLINE_MS);
deadline.unref();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    process.stderr.write(`${sig}: stopping children\n`);
    void stopAll().finally(() => process.exit(130));
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    void stopAll().finally(() => process.exit(1));
  },
);

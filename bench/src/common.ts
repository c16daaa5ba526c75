import { spawn, type ChildProcess } from 'child_process';
import { execFileSync } from 'child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'fs';
import path from 'path';
import Redis from 'ioredis';
import { Client as MinioClient } from 'minio';

/** Repository root (bench/dist/.. /..). */
export const ROOT = path.resolve(__dirname, '../..');
export const BENCH_DIR = path.resolve(__dirname, '..');
export const LOG_DIR = path.join(BENCH_DIR, 'logs');

/**
 * Local services of scripts/services.sh; the bench only ever uses its own database names, Redis db 3
 * and bucket. Ports: BENCH_* overrides, else the VECRON_*_PORT variables services.sh itself reads,
 * else 25432 / 26379 / 29000 (where the shared services of the run in README.md listen).
 */
export const PG_PORT = Number(process.env.VECRON_PG_PORT ?? 25432);
export const REDIS_PORT = Number(process.env.VECRON_REDIS_PORT ?? 26379);
export const PG_ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? `postgres://postgres@127.0.0.1:${PG_PORT}/postgres`;
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? `redis://127.0.0.1:${REDIS_PORT}/3`;
export const S3_HOST = '127.0.0.1';
export const S3_PORT = Number(process.env.BENCH_S3_PORT ?? process.env.VECRON_S3_PORT ?? 29000);
export const S3_BUCKET = process.env.BENCH_S3_BUCKET ?? 'vecron-bench';
export const S3_KEY = 'S3RVER';

/** Environment shared by every product process the bench starts. */
export function productEnv(databaseUrl: string, prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    S3_ENDPOINT: S3_HOST,
    S3_PORT: String(S3_PORT),
    S3_ACCESS_KEY: S3_KEY,
    S3_SECRET_KEY: S3_KEY,
    S3_BUCKET,
    S3_REGION: 'us-east-1',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

export function minioClient(): MinioClient {
  return new MinioClient({
    endPoint: S3_HOST,
    port: S3_PORT,
    useSSL: false,
    accessKey: S3_KEY,
    secretKey: S3_KEY,
    region: 'us-east-1',
    pathStyle: true,
    retryOptions: { disableRetry: true },
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value; throws after `timeoutMs`. */
export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs: number, what: string, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(everyMs);
  }
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      await fn(items[i]!, i);
    }
  });
  await Promise.all(runners);
}

// ---------------------------------------------------------------------------------------------
// Statistics and tables

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export function summarize(values: readonly number[]): { n: number; p50: number; p90: number; p99: number; max: number; min: number } {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, min: s[0] ?? NaN, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN };
}

export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A plain-text table with right-aligned numeric columns. */
export function table(title: string, header: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    '| ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') + ' |';
  const sep = '|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|';
  return [`\n### ${title}\n`, line(header), sep, ...cells.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// CPU accounting from /proc (Linux)

export const CLK_TCK = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  pid: number;
  ppid: number;
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
  /** Start time in clock ticks since boot. */
  starttime: number;
}

export function readStat(pid: number): ProcStat | null {
  const s = readStatFile(`/proc/${pid}/stat`);
  return s ? { pid, ...s } : null;
}

/** A `/proc/…/stat` file (a process's, or a thread's under `/proc/PID/task/TID`); null when gone. */
function readStatFile(file: string): Omit<ProcStat, 'pid'> | null {
  try {
    const raw = readFileSync(file, 'utf8');
    // comm may contain spaces and parentheses: split after the last ')'.
    const rest = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); utime is field 14 → rest[11].
    return {
      ppid: Number(rest[1]),
      utime: Number(rest[11]),
      stime: Number(rest[12]),
      cutime: Number(rest[13]),
      cstime: Number(rest[14]),
      starttime: Number(rest[19]),
    };
  } catch {
    return null;
  }
}

/** CPU milliseconds used by one process (own threads only). */
export function cpuMsOf(pid: number): number {
  return statFileCpuMs(`/proc/${pid}/stat`) ?? 0;
}

/** CPU milliseconds (utime + stime) of a `/proc/…/stat` file: a process or one thread; undefined when gone. */
export function statFileCpuMs(file: string): number | undefined {
  const s = readStatFile(file);
  return s ? ((s.utime + s.stime) * 1000) / CLK_TCK : undefined;
}

/** Where scripts/services.sh keeps its data (VECRON_DATA_DIR, as the script reads it). */
const DATA_DIR = process.env.VECRON_DATA_DIR ?? path.join(ROOT, '.data');

function pidFile(name: string): number | null {
  const f = path.join(DATA_DIR, 'run', `${name}.pid`);
  if (!existsSync(f)) return null;
  const pid = Number(readFileSync(f, 'utf8').split('\n')[0]!.trim());
  return Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`) ? pid : null;
}

/** PIDs of the shared local services (read from scripts/services.sh PID files; never signalled). */
export function servicePids(): { postgres: number | null; redis: number | null; s3: number | null } {
  let postgres: number | null = null;
  const pm = path.join(DATA_DIR, 'postgres', 'postmaster.pid');
  if (existsSync(pm)) {
    const pid = Number(readFileSync(pm, 'utf8').split('\n')[0]!.trim());
    if (existsSync(`/proc/${pid}`)) postgres = pid;
  }
  return { postgres: postgres ?? pidFile('postgres'), redis: pidFile('redis'), s3: pidFile('s3') };
}

/**
 * All PostgreSQL CPU (ms): the postmaster, its reaped children (cutime/cstime) and its live
 * children. Monotonic, whatever backends come and go.
 */
export function postgresCpuMs(postmaster: number | null): number {
  if (!postmaster) return 0;
  const pm = readStat(postmaster);
  if (!pm) return 0;
  let ticks = pm.utime + pm.stime + pm.cutime + pm.cstime;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = readStat(Number(entry));
    if (s && s.ppid === postmaster) ticks += s.utime + s.stime;
  }
  return (ticks * 1000) / CLK_TCK;
}

/** Machine-wide busy and total CPU time (ms) from /proc/stat. */
export function machineCpuMs(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: (busy * 1000) / CLK_TCK, total: ((busy + idle + iowait) * 1000) / CLK_TCK };
}

/** Samples the CPU of the bench's processes and of the shared services between two instants. */
export class CpuMeter {
  private start: Record<string, number> = {};
  constructor(private readonly sources: () => Record<string, number>) {}
  begin(): void {
    this.start = this.sources();
  }
  end(): Record<string, number> {
    const now = this.sources();
    const out: Record<string, number> = {};
    for (const k of Object.keys(now)) out[k] = now[k]! - (this.start[k] ?? 0);
    return out;
  }
}

/** CPU sources: the given child processes (by label), the services, this process and the whole machine. */
export function cpuSources(children: () => Record<string, number[]>): () => Record<string, number> {
  const svc = servicePids();
  return () => {
    const out: Record<string, number> = {};
    for (const [label, pids] of Object.entries(children())) out[label] = pids.reduce((a, p) => a + cpuMsOf(p), 0);
    out['postgres'] = postgresCpuMs(svc.postgres);
    out['redis'] = svc.redis ? cpuMsOf(svc.redis) : 0;
    out['s3rver'] = svc.s3 ? cpuMsOf(svc.s3) : 0;
    const u = process.cpuUsage();
    out['bench driver'] = (u.user + u.system) / 1000;
    const m = machineCpuMs();
    out['machine busy'] = m.busy;
    out['machine total'] = m.total;
    return out;
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes

export class Child {
  readonly exited: Promise<number | null>;
  readonly spawnedAt: number;
  private readonly logFd: number;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    logFd: number,
    spawnedAt: number,
  ) {
    this.logFd = logFd;
    this.spawnedAt = spawnedAt;
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    void this.exited.then(() => {
      try {
        closeSync(this.logFd);
      } catch {
        /* already closed */
      }
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM this child (by its PID), SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => {
      if (this.alive) this.child.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(t);
  }
}

/** Every child the bench started, so that a crash or Ctrl-C still stops them (by PID). */
export const children = new Set<Child>();

export function logPath(name: string): string {
  mkdirSync(LOG_DIR, { recursive: true });
  return path.join(LOG_DIR, `${name}.log`);
}

/** Spawns `node [nodeArgs] script` with env; stdout+stderr go to bench/logs/{name}.log. */
/** The variables that choose the services (above): children compute the same addresses as this process. */
function serviceAddressEnv(): Record<string, string> {
  const names = ['BENCH_PG_ADMIN_URL', 'BENCH_REDIS_URL', 'BENCH_S3_PORT', 'BENCH_S3_BUCKET', 'VECRON_PG_PORT', 'VECRON_REDIS_PORT', 'VECRON_S3_PORT'];
  return Object.fromEntries(names.flatMap((n) => (process.env[n] === undefined ? [] : [[n, process.env[n]!]])));
}

export function spawnNode(name: string, script: string, env: Record<string, string>, nodeArgs: string[] = [], ipc = false): Child {
  const fd = openSync(logPath(name), 'w');
  const spawnedAt = Date.now();
  const cp = spawn(process.execPath, [...nodeArgs, script], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...serviceAddressEnv(), ...env },
    stdio: ipc ? ['ignore', fd, fd, 'ipc'] : ['ignore', fd, fd],
    cwd: BENCH_DIR,
  });
  const c = new Child(name, cp, fd, spawnedAt);
  children.add(c);
  void c.exited.then(() => children.delete(c));
  return c;
}

export function productMain(app: 'api' | 'scheduler' | 'worker'): string {
  return path.join(ROOT, 'apps', app, 'dist', 'main.js');
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop(10_000)));
}

// ---------------------------------------------------------------------------------------------
// Cleanup of the bench's own Redis keys and objects

/** Deletes every key of a queue prefix in the bench's Redis db (SCAN + DEL, never FLUSH). */
export async function deleteRedisPrefix(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  let n = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) n += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return n;
}

/** Removes the given keys from the bench bucket (batches of 1000, no listing). */
export async function removeObjects(keys: readonly string[]): Promise<void> {
  const client = minioClient();
  for (let i = 0; i < keys.length; i += 1000) {
    await client.removeObjects(S3_BUCKET, keys.slice(i, i + 1000) as string[]).catch(() => undefined);
  }
}

export async function ensureBucket(): Promise<void> {
  const client = minioClient();
  if (!(await client.bucketExists(S3_BUCKET))) {
    await client.makeBucket(S3_BUCKET, 'us-east-1').catch(async (err: unknown) => {
      if (!(await client.bucketExists(S3_BUCKET))) throw err;
    });
  }
}

import { randomBytes } from 'crypto';
import { ApiClient } from './api-client';
import { AppProcess, freePort, startApp } from './processes';
import { freshDatabase, REDIS_URL, S3_PORT, storageFor, waitFor } from './services';

export interface SystemOptions {
  /** Database, bucket and queue names derive from it. */
  name: string;
  schedulers?: number;
  workers?: number;
  env?: Record<string, string>;
  workerEnv?: Record<string, string>;
  /** Servers of the test's own instead of scripts/services.sh's (restart tests): admin URL of a PostgreSQL, a Redis URL, an S3 port. */
  pgAdminUrl?: string;
  redisUrl?: string;
  s3Port?: number;
}

/** The built api + schedulers + workers as processes, on a fresh database, bucket and queue prefix. */
export class TestSystem {
  api!: AppProcess;
  client!: ApiClient;
  schedulers: AppProcess[] = [];
  workers: AppProcess[] = [];
  env: Record<string, string> = {};

  constructor(private readonly options: SystemOptions) {}

  async start(): Promise<this> {
    const { name } = this.options;
    const bucket = `vecron-${name.replace(/_/g, '-')}`;
    const s3Port = this.options.s3Port ?? S3_PORT;
    const storage = storageFor(bucket, s3Port);
    await storage.ensureBucket();
    await storage.deletePrefix('jobs/');
    this.env = {
      DATABASE_URL: await freshDatabase(`vecron_${name}`, this.options.pgAdminUrl),
      REDIS_URL: this.options.redisUrl ?? REDIS_URL,
      S3_PORT: String(s3Port),
      S3_BUCKET: bucket,
      QUEUE_PREFIX: `t-${name}-${Date.now().toString(36)}`,
      LOG_LEVEL: 'info',
      SCHEDULER_TICK_MS: '100',
      SCHEDULER_MISFIRE_THRESHOLD_MS: '1500',
      // One token secret for every api process of this system (a second api accepts the first's tokens).
      JWT_SECRET: randomBytes(32).toString('hex'),
      ...this.options.env,
    };
    const port = await freePort();
    this.api = startApp('api', { ...this.env, PORT: String(port) });
    this.client = new ApiClient(`http://127.0.0.1:${port}`);
    await waitFor(async () => (await fetch(`${this.client.baseUrl}/health`)).ok, 120_000, `api health (log: ${this.api.log.slice(-2000)})`);
    for (let i = 0; i < (this.options.schedulers ?? 1); i++) this.addScheduler();
    for (let i = 0; i < (this.options.workers ?? 1); i++) this.addWorker();
    // Started means ready: a test that signals a process still loading would kill it, not stop it.
    await Promise.all([...this.schedulers.map((p) => ready(p, 'scheduler started')), ...this.workers.map((p) => ready(p, 'worker taking executions'))]);
    return this;
  }

  addScheduler(env: Record<string, string> = {}): AppProcess {
    const p = startApp('scheduler', { ...this.env, SCHEDULER_ID: `s${this.schedulers.length + 1}`, ...env });
    this.schedulers.push(p);
    return p;
  }

  addWorker(env: Record<string, string> = {}): AppProcess {
    const p = startApp('worker', { ...this.env, ...this.options.workerEnv, WORKER_ID: `w${this.workers.length + 1}`, ...env });
    this.workers.push(p);
    return p;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.schedulers, ...this.workers, this.api].filter(Boolean).map((p) => p.stop('SIGTERM')));
  }

  logs(): string {
    return [this.api, ...this.schedulers, ...this.workers].filter(Boolean).map((p) => `--- ${p.name}\n${p.log.slice(-3000)}`).join('\n');
  }
}

/** Resolves once a scheduler or worker has logged that it started; fails if it exits first. */
export function waitReady(p: AppProcess, timeoutMs = 60_000): Promise<true> {
  return ready(p, p.name === 'scheduler' ? 'scheduler started' : 'worker taking executions', timeoutMs);
}

/** Whether a scheduler or worker has logged that it started (and still runs). */
export function isReady(p: AppProcess): boolean {
  return p.child.exitCode === null && p.child.signalCode === null && p.log.includes(p.name === 'scheduler' ? 'scheduler started' : 'worker taking executions');
}

/** Resolves once the process has logged `line` (its start-up is over); fails if it exits first. */
function ready(p: AppProcess, line: string, timeoutMs = 60_000): Promise<true> {
  return waitFor(
    async () => {
      if (p.child.exitCode !== null) throw new Error(`${p.name} exited with ${p.child.exitCode}: ${p.log.slice(-2000)}`);
      return p.log.includes(line) || null;
    },
    timeoutMs,
    `${p.name}: "${line}"`,
  );
}

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
    const storage = storageFor(bucket);
    await storage.ensureBucket();
    await storage.deletePrefix('jobs/');
    this.env = {
      DATABASE_URL: await freshDatabase(`vecron_${name}`),
      REDIS_URL,
      S3_PORT: String(S3_PORT),
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
    await waitFor(async () => (await fetch(`${this.client.baseUrl}/health`)).ok, 30_000, `api health (log: ${this.api.log.slice(-2000)})`);
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

/** Resolves once the process has logged `line` (its start-up is over); fails if it exits first. */
function ready(p: AppProcess, line: string): Promise<true> {
  return waitFor(
    async () => {
      if (p.child.exitCode !== null) throw new Error(`${p.name} exited with ${p.child.exitCode}: ${p.log.slice(-2000)}`);
      return p.log.includes(line) || null;
    },
    60_000,
    `${p.name}: "${line}"`,
  );
}

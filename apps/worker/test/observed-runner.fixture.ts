import Bull from 'bull';
import pino from 'pino';
import { Writable } from 'stream';
import type { Logger } from 'pino';
import { createLogger, loadConfig } from '@vecron/config';
import { ContextStore } from '@vecron/context';
import {
  AlertStateRepository,
  Database,
  ExecutionLogsRepository,
  ExecutionsRepository,
  JobsRepository,
  SecretCipher,
  VariablesRepository,
  migrate,
  recreateDatabase,
} from '@vecron/db';
import { ExecutorRegistry, type AnyStepExecutor } from '@vecron/executors';
import { EXECUTIONS_QUEUE, ExecutionDispatcher, executionQueueOptions, type ExecutionJobData } from '@vecron/queue';
import { executionContextKey, InMemoryObjectStorage, jobDefinitionVersionKey } from '@vecron/storage';
import { createMetricsRegistry, WorkerMetrics, type Registry } from '@vecron/telemetry';
import { randomUUID } from 'crypto';
import type { AlertService } from '../src/alerts/alert.service';
import { WorkerEnv } from '../src/config/worker.env';
import { DefinitionCache } from '../src/executions/definition.cache';
import { ExecutionClaimService } from '../src/executions/execution-claim.service';
import { ExecutionRunner } from '../src/executions/execution-runner.service';
import { SecretMaskingLogger } from '../src/executions/secret-masking.logger';
import { StepLoop } from '../src/executions/step-loop.service';
import { StoreOutageGuard } from '../src/executions/store-outage.guard';
import { storeOutageSettings } from '../src/worker.module';
import { ExecutionLogWriter } from '../src/observe/execution-log.writer';
import { observeExecutors } from '../src/observe/observed-executors';
import { createAlertService } from '../src/observe/worker-observability';
import { WorkerObserver } from '../src/observe/worker-observer';

/** One worker as WorkerModule wires it, observability included, over a shared database and storage. */
export interface ObservedWorker {
  runner: ExecutionRunner;
  observer: WorkerObserver;
  alerts: AlertService;
  registry: Registry;
  /** Every JSON line the worker logged. */
  lines: () => Record<string, unknown>[];
}

export interface ObservedSystem {
  db: Database;
  jobs: JobsRepository;
  executions: ExecutionsRepository;
  storage: InMemoryObjectStorage;
  logs: ExecutionLogsRepository;
  /** A worker; call again for a second one on the same stores. */
  addWorker(env?: Record<string, string>): ObservedWorker;
  /** Inserts a job (its definition as version 1) and returns its id. */
  addJob(definition: Record<string, unknown>): Promise<string>;
  /** A pending manual execution of the job. */
  addExecution(jobId: string, extra?: { scheduledFor?: Date; triggerSource?: 'manual' | 'scheduled' }): Promise<string>;
  /** Closes the pool and the queue. */
  close(): Promise<void>;
}

function sink(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

export async function createObservedSystem(database: string, executors: AnyStepExecutor[], baseEnv: Record<string, string> = {}): Promise<ObservedSystem> {
  const admin = process.env.VECRON_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:25432/postgres';
  const db = new Database({ connectionString: await recreateDatabase(admin, database), poolSize: 6 });
  await migrate(db.pool);
  const jobs = new JobsRepository(db);
  const executions = new ExecutionsRepository(db);
  const storage = new InMemoryObjectStorage();
  const logs = new ExecutionLogsRepository(db);
  const redisUrl = process.env.VECRON_TEST_REDIS_URL ?? 'redis://127.0.0.1:26379/1';
  // A queue of its own that no processor reads (resumes would land here).
  const queue = new Bull<ExecutionJobData>(EXECUTIONS_QUEUE, executionQueueOptions(redisUrl, `${database}-${process.pid}-${Date.now()}`));
  const dispatcher = new ExecutionDispatcher({ executions, db, queue, logger: pino({ level: 'silent' }) });
  let workers = 0;

  const addWorker = (env: Record<string, string> = {}): ObservedWorker => {
    const config = loadConfig(WorkerEnv, { LOG_LEVEL: 'info', WORKER_ID: `w${++workers}`, ...baseEnv, ...env });
    const out = sink();
    const root: Logger = createLogger(config, { name: 'vecron-worker', hooks: SecretMaskingLogger.hooks, destination: out.stream });
    const loggers = new SecretMaskingLogger(root);
    const registry = createMetricsRegistry();
    const holder: { observer?: WorkerObserver } = {};
    const metrics = new WorkerMetrics(registry, { slots: config.WORKER_CONCURRENCY, busy: () => holder.observer?.activeCount ?? 0 });
    const observer = new WorkerObserver({ metrics, maxLogLines: config.EXECUTION_LOG_MAX_LINES, logger: root });
    holder.observer = observer;
    const { alerts } = createAlertService(config, new AlertStateRepository(db), root, metrics);
    observer.connect({ logs: new ExecutionLogWriter(logs, root), alerts });
    const variables = new VariablesRepository(db, new SecretCipher([], null));
    const outage = new StoreOutageGuard(storeOutageSettings(config));
    const runner = new ExecutionRunner(
      config,
      executions,
      jobs,
      new ExecutionClaimService(executions, jobs, variables, loggers.root),
      new DefinitionCache(storage),
      new StepLoop(new ExecutorRegistry(observeExecutors(executors, observer)), storage, new ContextStore({ storage }), executions, () => 0.5, outage),
      loggers,
      dispatcher,
      outage,
      observer,
    );
    return { runner, observer, alerts, registry, lines: out.lines };
  };

  const addJob = async (definition: Record<string, unknown>): Promise<string> => {
    const jobId = randomUUID();
    const def: Record<string, unknown> = { schedule: null, triggers: { scheduled: false, manual: true }, timeout_seconds: 60, max_retries: 2, allow_concurrent: true, enabled: true, ...definition };
    await jobs.insert(jobId, {
      name: String(def.name), description: null, enabled: true, definition_path: `jobs/${jobId}/definition.json`, schedule: null, schedule_type: null,
      timezone: null, scheduled_trigger: false, manual_trigger: true, webhook_enabled: false, allow_concurrent: true, next_run_at: null,
    });
    await storage.put(jobDefinitionVersionKey(jobId, 1), JSON.stringify(def));
    return jobId;
  };

  const addExecution = async (jobId: string, extra: { scheduledFor?: Date; triggerSource?: 'manual' | 'scheduled' } = {}): Promise<string> => {
    const id = randomUUID();
    const source = extra.triggerSource ?? 'manual';
    await executions.insertPending({
      id, job_id: jobId, idempotency_key: `${source}:${id}`, trigger_source: source, definition_version: 1,
      context_path: executionContextKey(jobId, id), scheduled_for: extra.scheduledFor ?? null, exclusive: false,
    });
    return id;
  };

  const close = async (): Promise<void> => {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await db.close();
  };
  return { db, jobs, executions, storage, logs, addWorker, addJob, addExecution, close };
}

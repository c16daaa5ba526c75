import Bull from 'bull';
import pino from 'pino';
import { loadConfig } from '@vecron/config';
import { ContextStore } from '@vecron/context';
import { Database, ExecutionsRepository, JobsRepository, SecretCipher, VariablesRepository, migrate, recreateDatabase } from '@vecron/db';
import { ExecutorRegistry, type AnyStepExecutor } from '@vecron/executors';
import { EXECUTIONS_QUEUE, ExecutionDispatcher, executionQueueOptions, type ExecutionJobData } from '@vecron/queue';
import { InMemoryObjectStorage } from '@vecron/storage';
import { WorkerEnv } from '../src/config/worker.env';
import { DefinitionCache } from '../src/executions/definition.cache';
import { ExecutionClaimService } from '../src/executions/execution-claim.service';
import { ExecutionRunner } from '../src/executions/execution-runner.service';
import { SecretMaskingLogger } from '../src/executions/secret-masking.logger';
import { StepLoop } from '../src/executions/step-loop.service';
import { StoreOutageGuard } from '../src/executions/store-outage.guard';
import { createWorkerLogger, storeOutageSettings } from '../src/worker.module';

export interface RunnerFixture {
  db: Database;
  jobs: JobsRepository;
  executions: ExecutionsRepository;
  storage: InMemoryObjectStorage;
  runner: ExecutionRunner;
  /** The executions queue (its own prefix; nothing processes it): delayed resumes land here. */
  queue: Bull.Queue<ExecutionJobData>;
  dispatcher: ExecutionDispatcher;
  /** Closes the database pool and the queue. */
  close(): Promise<void>;
}

/**
 * An ExecutionRunner wired from its parts as WorkerModule wires them: a fresh PostgreSQL
 * database named `database`, in-memory object storage, the given executors, and a real Bull
 * queue on the test Redis under a prefix of its own that no processor reads (a test resumes
 * an execution by calling `runner.resume`).
 */
export async function createRunnerFixture(
  database: string,
  executors: AnyStepExecutor[],
  env: Record<string, string> = {},
  poolSize = 4,
  /** The jitter's random source (0.5: none). */
  random: () => number = () => 0.5,
): Promise<RunnerFixture> {
  const admin = process.env.VECRON_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:25432/postgres';
  const db = new Database({ connectionString: await recreateDatabase(admin, database), poolSize });
  await migrate(db.pool);
  const jobs = new JobsRepository(db);
  const executions = new ExecutionsRepository(db);
  const storage = new InMemoryObjectStorage();
  const config = loadConfig(WorkerEnv, { LOG_LEVEL: 'silent', ...env });
  const loggers = new SecretMaskingLogger(createWorkerLogger(config));
  const variables = new VariablesRepository(db, new SecretCipher([], null));
  const outage = new StoreOutageGuard(storeOutageSettings(config));
  const redisUrl = process.env.VECRON_TEST_REDIS_URL ?? 'redis://127.0.0.1:26379/1';
  const queue = new Bull<ExecutionJobData>(EXECUTIONS_QUEUE, executionQueueOptions(redisUrl, `${database}-${process.pid}-${Date.now()}`));
  const dispatcher = new ExecutionDispatcher({ executions, db, queue, logger: pino({ level: 'silent' }) });
  const runner = new ExecutionRunner(
    config,
    executions,
    jobs,
    new ExecutionClaimService(executions, jobs, variables, loggers.root),
    new DefinitionCache(storage),
    new StepLoop(new ExecutorRegistry(executors), storage, new ContextStore({ storage }), executions, random, outage),
    loggers,
    dispatcher,
    outage,
  );
  const close = async (): Promise<void> => {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await db.close();
  };
  return { db, jobs, executions, storage, runner, queue, dispatcher, close };
}

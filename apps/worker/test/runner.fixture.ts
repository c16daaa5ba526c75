import { loadConfig } from '@vecron/config';
import { ContextStore } from '@vecron/context';
import { Database, ExecutionsRepository, JobsRepository, SecretCipher, VariablesRepository, migrate, recreateDatabase } from '@vecron/db';
import { ExecutorRegistry, type AnyStepExecutor } from '@vecron/executors';
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
}

/**
 * An ExecutionRunner wired from its parts as WorkerModule wires them: a fresh PostgreSQL
 * database named `database`, in-memory object storage, and the given executors.
 */
export async function createRunnerFixture(
  database: string,
  executors: AnyStepExecutor[],
  env: Record<string, string> = {},
  poolSize = 4,
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
  const retry = { baseBackoffMs: config.WORKER_RETRY_BASE_BACKOFF_MS, maxBackoffMs: config.WORKER_RETRY_MAX_BACKOFF_MS };
  const outage = new StoreOutageGuard(storeOutageSettings(config));
  const runner = new ExecutionRunner(
    config,
    executions,
    jobs,
    new ExecutionClaimService(executions, jobs, variables, loggers.root),
    new DefinitionCache(storage),
    new StepLoop(new ExecutorRegistry(executors), storage, new ContextStore({ storage }), executions, retry, outage),
    loggers,
    outage,
  );
  return { db, jobs, executions, storage, runner };
}

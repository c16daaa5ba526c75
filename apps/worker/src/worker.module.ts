import { Module, type DynamicModule } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { createLogger, databaseOptions, loggerModule, queueOptions, storageOptions } from '@vecron/config';
import { ContextStore } from '@vecron/context';
import { Database, DatabaseModule, ExecutionsRepository, ExecutionWaitsRepository, JobsRepository, SensitiveKeysCheck, VariablesRepository } from '@vecron/db';
import { createBuiltInExecutors, ExecutorRegistry, ExecutorsModule } from '@vecron/executors';
import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { EXECUTIONS_QUEUE, ExecutionQueueModule, type ExecutionJobData } from '@vecron/queue';
import { OBJECT_STORAGE, StorageModule, type ObjectStorage } from '@vecron/storage';
import { WORKER_CONFIG, type WorkerEnv } from './config/worker.env';
import { DefinitionCache } from './executions/definition.cache';
import { ExecutionClaimService } from './executions/execution-claim.service';
import { ExecutionProcessor } from './executions/execution.processor';
import { ExecutionRunner } from './executions/execution-runner.service';
import { ExecutionStopListener } from './executions/execution-stop.listener';
import { SecretMaskingLogger } from './executions/secret-masking.logger';
import { StepLoop } from './executions/step-loop.service';
import { StoreOutageGuard, type StoreOutageSettings } from './executions/store-outage.guard';

/** The worker's back-off through outages of its own stores (WORKER_STORE_RETRY_*). */
export function storeOutageSettings(cfg: WorkerEnv): StoreOutageSettings {
  return { baseDelayMs: cfg.WORKER_STORE_RETRY_BASE_MS, maxDelayMs: cfg.WORKER_STORE_RETRY_MAX_DELAY_MS, maxWaitMs: cfg.WORKER_STORE_RETRY_MAX_WAIT_MS };
}
import { createWorkerObservability } from './observe/worker-observability';
import { createCircuitBreakers, createExecutionWaitService } from './executions/worker-guards.factory';
import { ExecutionWaitService } from './executions/execution-wait.service';
import { StepCircuitGuard } from './executions/step-circuit.guard';

/** The worker's root logger: the shared setup, with the secret-masking hook. */
export function createWorkerLogger(config: WorkerEnv): Logger {
  return createLogger(config, { name: 'vecron-worker', hooks: SecretMaskingLogger.hooks });
}

@Module({})
export class WorkerModule {
  /** The worker, wired from an already validated config and the process's root logger. */
  static forRoot(config: WorkerEnv, logger: Logger = createWorkerLogger(config)): DynamicModule {
    const configModule: DynamicModule = {
      module: class WorkerConfigModule {},
      global: true,
      providers: [{ provide: WORKER_CONFIG, useValue: config }],
      exports: [WORKER_CONFIG],
    };
    // Metrics, traces, log capture and alerts (src/observe): the executors are wrapped to observe each step.
    const observability = createWorkerObservability(config, logger);
    return {
      module: WorkerModule,
      imports: [
        configModule,
        loggerModule(logger),
        DatabaseModule.forRootAsync({
          inject: [WORKER_CONFIG],
          // Enough connections for every execution in flight.
          useFactory: (cfg: WorkerEnv) => databaseOptions(cfg, 'vecron-worker', Math.max(cfg.DATABASE_POOL_SIZE, Math.min(cfg.WORKER_CONCURRENCY, 50))),
        }),
        StorageModule.forRootAsync({
          inject: [WORKER_CONFIG],
          useFactory: (cfg: WorkerEnv) => storageOptions(cfg),
        }),
        ExecutionQueueModule.forRootAsync({
          inject: [WORKER_CONFIG],
          useFactory: (cfg: WorkerEnv) => queueOptions(cfg),
        }),
        ExecutorsModule.forRoot({
          executors: observability.observeExecutors(createBuiltInExecutors({
            http: { idempotencyKey: config.HTTP_STEP_IDEMPOTENCY_KEY, idempotencyKeyHeader: config.HTTP_STEP_IDEMPOTENCY_HEADER },
            database: { maxPools: config.DATABASE_STEP_MAX_POOLS, maxConnectionsPerPool: config.DATABASE_STEP_POOL_SIZE, poolIdleMs: config.DATABASE_STEP_POOL_IDLE_MS },
            sftp: { knownHostsPath: config.SFTP_KNOWN_HOSTS },
            file_processing: { csvWorker: { enabled: config.FILE_STEP_CSV_THREAD, minBytes: config.FILE_STEP_CSV_THREAD_MIN_BYTES }, xlsxWorker: { enabled: config.FILE_STEP_XLSX_THREAD } },
          })),
        }),
      ],
      providers: [
        SensitiveKeysCheck,
        { provide: SecretMaskingLogger, inject: [PinoLogger], useFactory: (pino: PinoLogger) => new SecretMaskingLogger(pino.logger) },
        { provide: DefinitionCache, inject: [OBJECT_STORAGE], useFactory: (storage: ObjectStorage) => new DefinitionCache(storage) },
        { provide: ExecutionWaitsRepository, inject: [Database, ExecutionsRepository], useFactory: (db: Database, e: ExecutionsRepository) => new ExecutionWaitsRepository(db, e) },
        {
          provide: ExecutionWaitService,
          inject: [ExecutionsRepository, ExecutionWaitsRepository, JobsRepository, DefinitionCache, getQueueToken(EXECUTIONS_QUEUE), SecretMaskingLogger, WORKER_CONFIG],
          useFactory: (
            executions: ExecutionsRepository,
            waits: ExecutionWaitsRepository,
            jobs: JobsRepository,
            definitions: DefinitionCache,
            queue: Queue<ExecutionJobData>,
            loggers: SecretMaskingLogger,
            cfg: WorkerEnv,
          ) => createExecutionWaitService({ executions, waits, jobs, definitions, queue, logger: loggers.root, config: cfg }),
        },
        {
          provide: ExecutionClaimService,
          inject: [ExecutionsRepository, JobsRepository, VariablesRepository, SecretMaskingLogger, ExecutionWaitService, ExecutionWaitsRepository],
          useFactory: (
            executions: ExecutionsRepository,
            jobs: JobsRepository,
            variables: VariablesRepository,
            loggers: SecretMaskingLogger,
            waits: ExecutionWaitService,
            waitsRepo: ExecutionWaitsRepository,
          ) => new ExecutionClaimService(executions, jobs, variables, loggers.root, waits, waitsRepo),
        },
        { provide: StoreOutageGuard, inject: [WORKER_CONFIG], useFactory: (cfg: WorkerEnv) => new StoreOutageGuard(storeOutageSettings(cfg)) },
        {
          provide: StepLoop,
          inject: [ExecutorRegistry, OBJECT_STORAGE, ExecutionsRepository, StoreOutageGuard, WORKER_CONFIG, getQueueToken(EXECUTIONS_QUEUE), SecretMaskingLogger],
          useFactory: (
            registry: ExecutorRegistry,
            storage: ObjectStorage,
            executions: ExecutionsRepository,
            outage: StoreOutageGuard,
            cfg: WorkerEnv,
            queue: Queue<ExecutionJobData>,
            loggers: SecretMaskingLogger,
          ) =>
            new StepLoop(
              registry,
              storage,
              new ContextStore({ storage }),
              executions,
              Math.random,
              outage,
              cfg.CIRCUIT_BREAKER_ENABLED ? new StepCircuitGuard(createCircuitBreakers(queue.client, cfg, loggers.root), registry) : undefined,
            ),
        },
        ExecutionRunner,
        ExecutionProcessor,
        ExecutionStopListener,
        ...observability.providers,
      ],
      exports: [ExecutionRunner],
    };
  }
}

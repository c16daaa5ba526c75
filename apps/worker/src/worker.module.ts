import { Module, type DynamicModule } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { createLogger, databaseOptions, loggerModule, queueOptions, storageOptions } from '@vecron/config';
import { ContextStore } from '@vecron/context';
import { DatabaseModule, ExecutionsRepository, JobsRepository, SensitiveKeysCheck, VariablesRepository } from '@vecron/db';
import { createBuiltInExecutors, ExecutorRegistry, ExecutorsModule } from '@vecron/executors';
import { ExecutionQueueModule } from '@vecron/queue';
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
          })),
        }),
      ],
      providers: [
        SensitiveKeysCheck,
        { provide: SecretMaskingLogger, inject: [PinoLogger], useFactory: (pino: PinoLogger) => new SecretMaskingLogger(pino.logger) },
        { provide: DefinitionCache, inject: [OBJECT_STORAGE], useFactory: (storage: ObjectStorage) => new DefinitionCache(storage) },
        {
          provide: ExecutionClaimService,
          inject: [ExecutionsRepository, JobsRepository, VariablesRepository, SecretMaskingLogger],
          useFactory: (executions: ExecutionsRepository, jobs: JobsRepository, variables: VariablesRepository, loggers: SecretMaskingLogger) =>
            new ExecutionClaimService(executions, jobs, variables, loggers.root),
        },
        { provide: StoreOutageGuard, inject: [WORKER_CONFIG], useFactory: (cfg: WorkerEnv) => new StoreOutageGuard(storeOutageSettings(cfg)) },
        {
          provide: StepLoop,
          inject: [ExecutorRegistry, OBJECT_STORAGE, ExecutionsRepository, StoreOutageGuard],
          useFactory: (registry: ExecutorRegistry, storage: ObjectStorage, executions: ExecutionsRepository, outage: StoreOutageGuard) =>
            new StepLoop(registry, storage, new ContextStore({ storage }), executions, Math.random, outage),
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

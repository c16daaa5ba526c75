import { Module, type DynamicModule } from '@nestjs/common';
import { databaseOptions, queueOptions, storageOptions } from '@vecron/config';
import { DatabaseModule, SensitiveKeysCheck } from '@vecron/db';
import { ExecutorsModule, createBuiltInExecutors } from '@vecron/executors';
import { ExecutionQueueModule } from '@vecron/queue';
import { StorageModule } from '@vecron/storage';
import { WORKER_CONFIG, type WorkerEnv } from './config/worker.env';
import { ExecutionProcessor } from './executions/execution.processor';
import { ExecutionRunner } from './executions/execution-runner.service';

@Module({})
export class WorkerModule {
  /** The worker, wired from an already validated config. */
  static forRoot(config: WorkerEnv): DynamicModule {
    const configModule: DynamicModule = {
      module: class WorkerConfigModule {},
      global: true,
      providers: [{ provide: WORKER_CONFIG, useValue: config }],
      exports: [WORKER_CONFIG],
    };
    return {
      module: WorkerModule,
      imports: [
        configModule,
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
        ExecutorsModule.forRoot({ executors: createBuiltInExecutors({ sftp: { knownHostsPath: config.SFTP_KNOWN_HOSTS } }) }),
      ],
      providers: [SensitiveKeysCheck, ExecutionRunner, ExecutionProcessor],
      exports: [ExecutionRunner],
    };
  }
}

import { Module, type DynamicModule } from '@nestjs/common';
import { DatabaseModule, SensitiveKeysCheck } from '@vecron/db';
import { ExecutorsModule } from '@vecron/executors';
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
          useFactory: (cfg: WorkerEnv) => ({
            connectionString: cfg.DATABASE_URL,
            poolSize: Math.max(cfg.DATABASE_POOL_SIZE, Math.min(cfg.WORKER_CONCURRENCY, 50)),
            applicationName: 'vecron-worker',
            encryptionKeys: cfg.VARIABLES_ENCRYPTION_KEYS,
            encryptionKeyId: cfg.VARIABLES_ENCRYPTION_KEY_ID,
          }),
        }),
        StorageModule.forRootAsync({
          inject: [WORKER_CONFIG],
          useFactory: (cfg: WorkerEnv) => ({
            endPoint: cfg.S3_ENDPOINT, port: cfg.S3_PORT, useSSL: cfg.S3_USE_SSL, accessKey: cfg.S3_ACCESS_KEY,
            secretKey: cfg.S3_SECRET_KEY, bucket: cfg.S3_BUCKET, region: cfg.S3_REGION,
          }),
        }),
        ExecutionQueueModule.forRootAsync({
          inject: [WORKER_CONFIG],
          useFactory: (cfg: WorkerEnv) => ({ redisUrl: cfg.REDIS_URL, prefix: cfg.QUEUE_PREFIX, logLevel: cfg.LOG_LEVEL }),
        }),
        ExecutorsModule.forRoot(),
      ],
      providers: [SensitiveKeysCheck, ExecutionRunner, ExecutionProcessor],
      exports: [ExecutionRunner],
    };
  }
}

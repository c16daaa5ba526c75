import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { DatabaseModule, SensitiveKeysCheck } from '@vecron/db';
import { ExecutionQueueModule } from '@vecron/queue';
import { StorageModule } from '@vecron/storage';
import { API_CONFIG, type ApiEnv } from './config/api.env';
import { HttpErrorFilter } from './errors/http-error.filter';
import { ExecutionsModule } from './executions/executions.module';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';
import { RedisModule } from './redis/redis.module';
import { VariablesModule } from './variables/variables.module';

@Module({})
export class AppModule {
  /** The api, wired from an already validated config. */
  static forRoot(config: ApiEnv): DynamicModule {
    const configModule: DynamicModule = {
      module: class ApiConfigModule {},
      global: true,
      providers: [{ provide: API_CONFIG, useValue: config }],
      exports: [API_CONFIG],
    };
    return {
      module: AppModule,
      imports: [
        configModule,
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.LOG_LEVEL,
            name: 'vecron-api',
            autoLogging: { ignore: (req) => req.url === '/health' },
            redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-webhook-signature"]'],
          },
        }),
        DatabaseModule.forRootAsync({
          inject: [API_CONFIG],
          useFactory: (cfg: ApiEnv) => ({
            connectionString: cfg.DATABASE_URL, poolSize: cfg.DATABASE_POOL_SIZE, applicationName: 'vecron-api',
            encryptionKeys: cfg.VARIABLES_ENCRYPTION_KEYS, encryptionKeyId: cfg.VARIABLES_ENCRYPTION_KEY_ID,
          }),
        }),
        StorageModule.forRootAsync({
          inject: [API_CONFIG],
          useFactory: (cfg: ApiEnv) => ({
            endPoint: cfg.S3_ENDPOINT, port: cfg.S3_PORT, useSSL: cfg.S3_USE_SSL, accessKey: cfg.S3_ACCESS_KEY,
            secretKey: cfg.S3_SECRET_KEY, bucket: cfg.S3_BUCKET, region: cfg.S3_REGION,
          }),
        }),
        ExecutionQueueModule.forRootAsync({
          inject: [API_CONFIG],
          useFactory: (cfg: ApiEnv) => ({ redisUrl: cfg.REDIS_URL, prefix: cfg.QUEUE_PREFIX, logLevel: cfg.LOG_LEVEL }),
        }),
        RedisModule,
        HealthModule,
        JobsModule,
        ExecutionsModule,
        VariablesModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpErrorFilter }, SensitiveKeysCheck],
    };
  }
}

import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { Logger } from 'pino';
import { createLogger, databaseOptions, loggerModule, queueOptions, storageOptions } from '@vecron/config';
import { DatabaseModule, SensitiveKeysCheck } from '@vecron/db';
import { ExecutionQueueModule } from '@vecron/queue';
import { StorageModule } from '@vecron/storage';
import { API_CONFIG, type ApiEnv } from './config/api.env';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { HttpErrorFilter } from './errors/http-error.filter';
import { ExecutionsModule } from './executions/executions.module';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';
import { PortingModule } from './porting/porting.module';
import { ObservabilityModule } from './observability/observability.module';
import { RedisModule } from './redis/redis.module';
import { SystemModule } from './system/system.module';
import { UsersModule } from './users/users.module';
import { VariablesModule } from './variables/variables.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule {
  /** The api, wired from an already validated config and the process's root logger. */
  static forRoot(config: ApiEnv, logger: Logger = createLogger(config, { name: 'vecron-api' })): DynamicModule {
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
        loggerModule(logger),
        DatabaseModule.forRootAsync({
          inject: [API_CONFIG],
          useFactory: (cfg: ApiEnv) => databaseOptions(cfg, 'vecron-api'),
        }),
        StorageModule.forRootAsync({
          inject: [API_CONFIG],
          useFactory: (cfg: ApiEnv) => storageOptions(cfg),
        }),
        ExecutionQueueModule.forRootAsync({
          inject: [API_CONFIG],
          useFactory: (cfg: ApiEnv) => queueOptions(cfg),
        }),
        RedisModule,
        HealthModule,
        PortingModule,
        JobsModule,
        ExecutionsModule,
        VariablesModule,
        WebhooksModule,
        AuditModule,
        AuthModule,
        UsersModule,
        SystemModule,
        DashboardModule,
        ObservabilityModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpErrorFilter }, SensitiveKeysCheck],
    };
  }
}

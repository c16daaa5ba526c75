import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import type { Logger } from 'pino';
import { createLogger, databaseOptions, loggerModule, queueOptions } from '@vecron/config';
import { DatabaseModule } from '@vecron/db';
import { ExecutionQueueModule } from '@vecron/queue';
import { SCHEDULER_CONFIG, type SchedulerEnv } from './config/scheduler.env';
import { schedulerObservabilityProviders } from './observe/scheduler-observability';
import { SCHEDULER_REDIS, SchedulerService } from './scheduling/scheduler.service';

class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(SCHEDULER_REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}

@Module({})
export class SchedulerModule {
  /** The scheduler, wired from an already validated config and the process's root logger. */
  static forRoot(config: SchedulerEnv, logger: Logger = createLogger(config, { name: 'vecron-scheduler' })): DynamicModule {
    const configModule: DynamicModule = {
      module: class SchedulerConfigModule {},
      global: true,
      providers: [{ provide: SCHEDULER_CONFIG, useValue: config }],
      exports: [SCHEDULER_CONFIG],
    };
    return {
      module: SchedulerModule,
      imports: [
        configModule,
        loggerModule(logger),
        DatabaseModule.forRootAsync({
          inject: [SCHEDULER_CONFIG],
          useFactory: (cfg: SchedulerEnv) => databaseOptions(cfg, 'vecron-scheduler'),
        }),
        ExecutionQueueModule.forRootAsync({
          inject: [SCHEDULER_CONFIG],
          useFactory: (cfg: SchedulerEnv) => queueOptions(cfg),
        }),
      ],
      providers: [
        { provide: SCHEDULER_REDIS, inject: [SCHEDULER_CONFIG], useFactory: (cfg: SchedulerEnv) => new Redis(cfg.REDIS_URL, { maxRetriesPerRequest: 2 }) },
        RedisCloser,
        SchedulerService,
        ...schedulerObservabilityProviders(),
      ],
      exports: [SchedulerService],
    };
  }
}

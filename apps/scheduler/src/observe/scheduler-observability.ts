import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import type Redis from 'ioredis';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { Database } from '@vecron/db';
import { createMetricsRegistry, SchedulerMetrics, startMetricsServer, type MetricsServer, type Registry } from '@vecron/telemetry';
import { SCHEDULER_CONFIG, type SchedulerEnv } from '../config/scheduler.env';
import { SCHEDULER_REDIS } from '../scheduling/scheduler.service';

/** Injection token of the scheduler's prom-client Registry. */
export const SCHEDULER_METRICS_REGISTRY = Symbol('SCHEDULER_METRICS_REGISTRY');

/** Serves `/metrics` and `/health` on SCHEDULER_METRICS_PORT when set. */
@Injectable()
export class SchedulerObservability implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: MetricsServer;

  constructor(
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerEnv,
    @Inject(SCHEDULER_METRICS_REGISTRY) private readonly registry: Registry,
    @Inject(SCHEDULER_REDIS) private readonly redis: Redis,
    private readonly db: Database,
    @InjectPinoLogger(SchedulerObservability.name) private readonly logger: PinoLogger,
  ) {}

  get metricsPort(): number | undefined {
    return this.server?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.SCHEDULER_METRICS_PORT === 0) return;
    this.server = await startMetricsServer({
      registry: this.registry,
      port: this.config.SCHEDULER_METRICS_PORT,
      host: this.config.METRICS_HOST,
      health: async () => {
        const [postgresql, redis] = await Promise.allSettled([this.db.ping(), this.redis.ping()]);
        const ok = postgresql.status === 'fulfilled' && redis.status === 'fulfilled';
        return { ok, body: { status: ok ? 'ok' : 'degraded', components: { postgresql: postgresql.status === 'fulfilled' ? 'up' : 'down', redis: redis.status === 'fulfilled' ? 'up' : 'down' } } };
      },
    });
    this.logger.info({ url: `http://${this.config.METRICS_HOST}:${this.server.port}/metrics` }, 'scheduler metrics listening');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}

/** The registry, SchedulerMetrics (injected into SchedulerService) and the listener. */
export function schedulerObservabilityProviders(): Provider[] {
  return [
    { provide: SCHEDULER_METRICS_REGISTRY, useFactory: () => createMetricsRegistry() },
    { provide: SchedulerMetrics, inject: [SCHEDULER_METRICS_REGISTRY], useFactory: (registry: Registry) => new SchedulerMetrics(registry) },
    SchedulerObservability,
  ];
}

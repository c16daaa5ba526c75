import { getQueueToken } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import type { Queue } from 'bull';
import { EXECUTIONS_QUEUE } from '@vecron/queue';
import { ApiMetrics, createMetricsRegistry, type Registry } from '@vecron/telemetry';
import { ExecutionLogsController } from './execution-logs.controller';
import { MetricsController } from './metrics.controller';
import { API_METRICS_REGISTRY } from './observability.tokens';

/** `/metrics` (ApiMetrics: queue size by state, webhook calls, triggers) and `GET /api/executions/:id/logs`. */
@Module({
  controllers: [MetricsController, ExecutionLogsController],
  providers: [
    { provide: API_METRICS_REGISTRY, useFactory: () => createMetricsRegistry() },
    {
      provide: ApiMetrics,
      inject: [API_METRICS_REGISTRY, getQueueToken(EXECUTIONS_QUEUE)],
      useFactory: (registry: Registry, queue: Queue) => new ApiMetrics(registry, { queueCounts: async () => ({ ...(await queue.getJobCounts()) }) }),
    },
  ],
  exports: [ApiMetrics],
})
export class ObservabilityModule {}

import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { stopRequestOf, type ExecutionRecord } from '@vecron/db';
import { encodeExecutionStop, executionStopChannel } from '@vecron/queue';
import { API_CONFIG, type ApiEnv } from '../config/api.env';
import { REDIS } from '../redis/redis.module';

/** Announces the stop of a running execution to every worker (Redis pub/sub). */
@Injectable()
export class ExecutionStopPublisher {
  private readonly channel: string;

  constructor(@Inject(REDIS) private readonly redis: Redis, @Inject(API_CONFIG) config: ApiEnv) {
    this.channel = executionStopChannel(config.QUEUE_PREFIX);
  }

  /** Returns how many workers received it (0 is not an error: the flag on the row remains). */
  async publish(execution: ExecutionRecord): Promise<number> {
    const request = stopRequestOf(execution);
    if (!request) throw new Error(`execution ${execution.id} has no stop request`);
    return this.redis.publish(
      this.channel,
      encodeExecutionStop({
        execution_id: request.execution_id,
        requested_at: request.requested_at.toISOString(),
        requested_by: request.requested_by,
        requested_by_user_id: request.requested_by_user_id,
      }),
    );
  }
}

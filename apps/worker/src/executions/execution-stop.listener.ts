import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { decodeExecutionStop, executionStopChannel } from '@vecron/queue';
import { WORKER_CONFIG, type WorkerEnv } from '../config/worker.env';
import { ExecutionRunner } from './execution-runner.service';

/**
 * Listens for stops announced by the api (Redis pub/sub, on a subscriber connection of its own:
 * a subscribed connection can do nothing else). The worker holding the execution aborts it;
 * the others ignore the message. A message missed while reconnecting is caught by the flag on
 * the row (checked between steps and at each heartbeat).
 */
@Injectable()
export class ExecutionStopListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscriber?: Redis;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerEnv,
    private readonly runner: ExecutionRunner,
    @InjectPinoLogger(ExecutionStopListener.name) private readonly logger: PinoLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const channel = executionStopChannel(this.config.QUEUE_PREFIX);
    // Subscriptions are restored by ioredis after a reconnect.
    const subscriber = new Redis(this.config.REDIS_URL, { maxRetriesPerRequest: null });
    this.subscriber = subscriber;
    subscriber.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'stop subscriber: redis error'));
    subscriber.on('message', (ch: string, raw: string) => {
      if (ch !== channel) return;
      const message = decodeExecutionStop(raw);
      if (!message) {
        this.logger.warn({ channel }, 'stop message ignored: not a stop announcement');
        return;
      }
      const held = this.runner.stop({
        execution_id: message.execution_id,
        requested_at: new Date(message.requested_at),
        requested_by: message.requested_by,
        requested_by_user_id: message.requested_by_user_id,
      });
      if (held) this.logger.info({ execution_id: message.execution_id, requested_by: message.requested_by }, 'execution stop received: aborting');
    });
    await subscriber.subscribe(channel);
    this.logger.info({ channel }, 'listening for execution stops');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber?.quit().catch(() => undefined);
  }
}

import { Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { API_CONFIG, type ApiEnv } from '../config/api.env';
import { REDIS } from '../redis/redis.module';
import { WebhookCallStatsStore } from './webhook-call-stats';
import { WebhookIdempotencyStore } from './webhook-idempotency.store';
import { WebhookRateLimiter } from './webhook-rate-limiter';
import { WebhookReceiverController } from './webhook-receiver.controller';
import { WebhookReceiverService } from './webhook-receiver.service';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/** Redis-backed pieces share the api's client; keys live under QUEUE_PREFIX like the queue's. */
const redisStore = <T>(cls: new (redis: Redis, prefix: string) => T) => ({
  provide: cls,
  inject: [REDIS, API_CONFIG],
  useFactory: (redis: Redis, cfg: ApiEnv) => new cls(redis, cfg.QUEUE_PREFIX),
});

/** Webhook triggers: the public endpoint, key/secret management and the list. */
@Module({
  controllers: [WebhookReceiverController, WebhooksController],
  providers: [
    redisStore(WebhookRateLimiter),
    redisStore(WebhookIdempotencyStore),
    redisStore(WebhookCallStatsStore),
    WebhooksService,
    WebhookReceiverService,
  ],
  exports: [WebhooksService],
})
export class WebhooksModule {}

import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { API_CONFIG, type ApiEnv } from '../config/api.env';
import { REDIS } from '../redis/redis.module';

/**
 * Failed logins per client address, counted in Redis so that every api replica shares the count:
 * LOGIN_MAX_FAILURES failures within LOGIN_FAILURE_WINDOW_SECONDS block the address (429 with
 * Retry-After) until the window of the first failure ends.
 */
@Injectable()
export class LoginRateLimiter {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(API_CONFIG) private readonly config: ApiEnv,
  ) {}

  private key(address: string): string {
    return `${this.config.QUEUE_PREFIX}:auth:login-failures:${address}`;
  }

  /** Seconds until the address may try again; 0 when it may try now. */
  async blockedFor(address: string): Promise<number> {
    const [count, ttl] = await this.redis.multi().get(this.key(address)).ttl(this.key(address)).exec().then((r) => [r?.[0]?.[1], r?.[1]?.[1]]);
    if (Number(count ?? 0) < this.config.LOGIN_MAX_FAILURES) return 0;
    return Math.max(1, Number(ttl ?? 1));
  }

  /** Counts a failure; the window starts at the first failure. */
  async recordFailure(address: string): Promise<void> {
    await this.redis
      .multi()
      .incr(this.key(address))
      .expire(this.key(address), this.config.LOGIN_FAILURE_WINDOW_SECONDS, 'NX')
      .exec();
  }
}

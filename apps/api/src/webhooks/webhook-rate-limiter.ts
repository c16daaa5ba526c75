import { randomUUID } from 'crypto';
import type Redis from 'ioredis';

// Sliding window log: one sorted-set entry per admitted request, scored by Redis server time
// (one clock for every api replica). Atomic, so replicas sharing the Redis share the limit.
const SCRIPT = `
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window - now}`;

export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Per-job sliding-window rate limit in Redis, shared by all api replicas. */
export class WebhookRateLimiter {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  /** Admits one request if fewer than `max` were admitted in the last `windowSeconds`. */
  async take(jobId: string, max: number, windowSeconds: number): Promise<RateLimitDecision> {
    const [ok, waitMs] = (await this.redis.eval(SCRIPT, 1, `${this.prefix}:webhook:rate:${jobId}`, windowSeconds * 1000, max, randomUUID())) as [number, number];
    if (ok === 1) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }
}

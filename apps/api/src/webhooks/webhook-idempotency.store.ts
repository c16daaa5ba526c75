import { createHash, randomUUID } from 'crypto';
import type Redis from 'ioredis';

// A key is either "pending:<token>" (a request is creating the execution; short TTL so that a
// crashed request does not block retries) or "exec:<execution id>" (the answer, for the TTL).
const CLAIM = `
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;
const COMPLETE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** How long a request may hold a claim before others may take over. */
const PENDING_TTL_MS = 30_000;

export type IdempotencyClaim =
  | { state: 'claimed'; release: () => Promise<void>; complete: (executionId: string) => Promise<void> }
  | { state: 'done'; executionId: string }
  | { state: 'busy' };

/**
 * Remembers which execution a request started, by a dedupe key (the sender's Idempotency-Key,
 * or the signature of a timestamped request), per job, in Redis: every replica sees it.
 */
export class WebhookIdempotencyStore {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private key(jobId: string, dedupeKey: string): string {
    return `${this.prefix}:webhook:idem:${jobId}:${createHash('sha256').update(dedupeKey).digest('hex')}`;
  }

  /** Takes the key (the caller then completes or releases it), or tells what another request got. */
  async claim(jobId: string, dedupeKey: string, ttlMs: number): Promise<IdempotencyClaim> {
    const key = this.key(jobId, dedupeKey);
    const token = `pending:${randomUUID()}`;
    const existing = (await this.redis.eval(CLAIM, 1, key, token, PENDING_TTL_MS)) as string | null;
    if (existing === null) {
      return {
        state: 'claimed',
        release: async () => {
          await this.redis.eval(RELEASE, 1, key, token);
        },
        complete: async (executionId: string) => {
          await this.redis.eval(COMPLETE, 1, key, token, `exec:${executionId}`, ttlMs);
        },
      };
    }
    return existing.startsWith('exec:') ? { state: 'done', executionId: existing.slice(5) } : { state: 'busy' };
  }
}

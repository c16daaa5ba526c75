import { createHash, randomUUID } from 'crypto';
import Redis from 'ioredis';
import { WebhookCallStatsStore } from '../src/webhooks/webhook-call-stats';
import { WebhookIdempotencyStore } from '../src/webhooks/webhook-idempotency.store';
import { WebhookRateLimiter } from '../src/webhooks/webhook-rate-limiter';

const REDIS_URL = process.env.VECRON_TEST_REDIS_URL ?? 'redis://127.0.0.1:26379/1';

describe('webhook stores (real Redis)', () => {
  const redis = new Redis(REDIS_URL);
  const prefix = `test-webhooks-${randomUUID()}`;
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('rate limiter: a sliding window shared by every client of the Redis', async () => {
    const a = new WebhookRateLimiter(redis, prefix);
    const other = new Redis(REDIS_URL);
    const b = new WebhookRateLimiter(other, prefix);
    try {
      const job = randomUUID();
      const got = [];
      for (let i = 0; i < 5; i++) got.push(await (i % 2 ? b : a).take(job, 3, 1));
      expect(got.map((d) => d.allowed)).toEqual([true, true, true, false, false]);
      expect(got[3]).toEqual({ allowed: false, retryAfterSeconds: 1 });
      // Another job has its own window.
      expect((await a.take(randomUUID(), 3, 1)).allowed).toBe(true);
      // Once the oldest entries leave the 1 s window, requests are admitted again.
      const end = Date.now() + 3000;
      let again = await a.take(job, 3, 1);
      while (!again.allowed && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 100));
        again = await a.take(job, 3, 1);
      }
      expect(again.allowed).toBe(true);
    } finally {
      await other.quit();
    }
  });

  it('idempotency: first claim wins, others see busy, then the execution; a released key can be claimed again', async () => {
    const store = new WebhookIdempotencyStore(redis, prefix);
    const job = randomUUID();
    const first = await store.claim(job, 'idem:k1', 60_000);
    expect(first.state).toBe('claimed');
    expect((await store.claim(job, 'idem:k1', 60_000)).state).toBe('busy');
    expect((await store.claim(randomUUID(), 'idem:k1', 60_000)).state).toBe('claimed'); // keys are per job
    if (first.state === 'claimed') await first.complete('exec-1');
    expect(await store.claim(job, 'idem:k1', 60_000)).toEqual({ state: 'done', executionId: 'exec-1' });
    expect(await redis.pttl(`${prefix}:webhook:idem:${job}:${createHash('sha256').update('idem:k1').digest('hex')}`)).toBeGreaterThan(50_000);

    const second = await store.claim(job, 'idem:k2', 60_000);
    if (second.state === 'claimed') await second.release();
    expect((await store.claim(job, 'idem:k2', 60_000)).state).toBe('claimed');
  });

  it('call stats: counts calls of the last 24 h and the last status per job', async () => {
    const stats = new WebhookCallStatsStore(redis, prefix);
    const job = randomUUID();
    await stats.record(job, 401);
    await stats.record(job, 202);
    const read = await stats.read([job, randomUUID()]);
    expect(read.get(job)).toMatchObject({ calls_24h: 2, last_call_status: 202 });
    expect(Date.now() - Date.parse(read.get(job)!.last_call_at!)).toBeLessThan(60_000);
    expect([...read.values()][1]).toEqual({ calls_24h: 0, last_call_at: null, last_call_status: null });
  });
});

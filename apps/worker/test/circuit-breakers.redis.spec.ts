import Redis from 'ioredis';
import pino from 'pino';
import { CircuitBreakers, type CircuitPermit } from '@vecron/queue';

const REDIS_URL = process.env.VECRON_TEST_REDIS_URL ?? 'redis://127.0.0.1:26379/1';

/**
 * The breakers' shared state in the real Redis: two CircuitBreakers (two workers) on one
 * prefix see and change the same breaker; the compare-and-set keeps concurrent updates exact.
 */
describe('CircuitBreakers shared through Redis', () => {
  let redis: Redis;
  let prefix: string;
  let now: number;
  const clock = (): number => now;
  const settings = { failureThreshold: 3, windowMs: 10_000, openMs: 5_000, probeTimeoutMs: 30_000 };
  const logger = pino({ level: 'silent' });
  const make = (): CircuitBreakers => new CircuitBreakers({ redis, prefix, settings, logger, clock });

  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  });
  afterAll(async () => {
    await redis.quit();
  });
  beforeEach(() => {
    prefix = `t-circuit-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    now = 1_000_000;
  });

  const permit = async (b: CircuitBreakers, target: string): Promise<CircuitPermit> => {
    const r = await b.acquire(target);
    if (!('permit' in r)) throw new Error(`expected a permit for ${target}, the breaker denied it`);
    return r.permit;
  };

  it('failures reported by two workers open the breaker for both; one probe when half-open; success closes it', async () => {
    const w1 = make();
    const w2 = make();
    const t = 'bank.example.com:443';
    await w1.record(await permit(w1, t), 'failure', logger, 'HTTP 503');
    await w2.record(await permit(w2, t), 'failure', logger, 'HTTP 503');
    expect(await w1.get(t)).toMatchObject({ state: 'closed', failure_count: 2 });
    await w1.record(await permit(w1, t), 'failure', logger, 'ECONNREFUSED');
    // Opened by w1's report: w2 fails fast too.
    expect(await w2.acquire(t)).toEqual({ denied: { allowed: false, state: 'open', retry_at: now + 5_000 } });
    expect(await w1.get(t)).toMatchObject({ state: 'open', failure_count: 0, retry_at: new Date(now + 5_000).toISOString() });

    now += 5_000;
    const probe = await permit(w2, t);
    expect(probe).toEqual({ target: t, probe: true });
    // The probe is in flight: the other worker is refused.
    expect(await w1.acquire(t)).toEqual({ denied: { allowed: false, state: 'half_open', retry_at: null } });
    await w2.record(probe, 'success');
    expect(await w1.acquire(t)).toEqual({ permit: { target: t, probe: false } });

    const snapshot = await w1.get(t);
    expect(snapshot?.state).toBe('closed');
    expect(snapshot?.transitions.map((x) => `${x.from}>${x.to}`)).toEqual(['half_open>closed', 'open>half_open', 'closed>open']);
    expect(snapshot?.transitions[2]?.reason).toBe('3 failures within 10000 ms: ECONNREFUSED');
    expect((await w2.list()).map((c) => c.target)).toEqual([t]);
  });

  it('a failed probe opens it again for both workers', async () => {
    const w1 = make();
    const w2 = make();
    const t = 'db.example.com:5432/bank';
    for (let i = 0; i < 3; i++) await w1.record(await permit(w1, t), 'failure');
    now += 5_000;
    await w2.record(await permit(w2, t), 'failure', logger, 'probe refused');
    expect(await w1.get(t)).toMatchObject({ state: 'open', opened_at: new Date(now).toISOString() });
    expect('denied' in (await w1.acquire(t))).toBe(true);
  });

  it('counts concurrent failures from many callers exactly (atomic compare-and-set)', async () => {
    const breakers = [make(), make(), make(), make()];
    const t = 'sftp.example.com:22';
    const wide = new CircuitBreakers({ redis, prefix, settings: { ...settings, failureThreshold: 100 }, logger, clock });
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const b = i % 2 === 0 ? wide : breakers[i % breakers.length]!;
        const p = await b.acquire(t);
        if ('permit' in p) await wide.record(p.permit, 'failure');
      }),
    );
    expect(await wide.get(t)).toMatchObject({ state: 'closed', failure_count: 20 });
  });

  it('4xx-style outcomes (success) and aborts (neutral) never open it; a healthy target writes nothing', async () => {
    const b = make();
    const t = 'api.example.com:80';
    for (let i = 0; i < 5; i++) await b.record(await permit(b, t), i % 2 ? 'success' : 'neutral');
    expect(await b.get(t)).toBeNull();
    expect(await b.list()).toEqual([]);
  });
});

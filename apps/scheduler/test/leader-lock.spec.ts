import Redis from 'ioredis';
import { LeaderLock } from '../src/scheduling/leader-lock';

const REDIS_URL = process.env.VECRON_TEST_REDIS_URL ?? 'redis://127.0.0.1:26379/1';

describe('LeaderLock (real Redis)', () => {
  let a: Redis;
  let b: Redis;
  const key = `test:leader:${Date.now()}:${Math.random()}`;

  beforeAll(() => {
    a = new Redis(REDIS_URL);
    b = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await a.quit();
    await b.quit();
  });

  it('one leader at a time; renewal keeps it; release hands over at once', async () => {
    const one = new LeaderLock(a, key, 2000);
    const two = new LeaderLock(b, key, 2000);
    expect(await one.refresh()).toEqual({ leader: true, tookOver: true });
    expect(await two.refresh()).toEqual({ leader: false, tookOver: false });
    expect(await one.refresh()).toEqual({ leader: true, tookOver: false });
    expect(one.isLeader).toBe(true);
    await one.release();
    expect(one.isLeader).toBe(false);
    expect(await two.refresh()).toEqual({ leader: true, tookOver: true });
    await two.release();
  });

  it('a leader that stops renewing loses the lock after its TTL', async () => {
    const dead = new LeaderLock(a, `${key}:ttl`, 300);
    const next = new LeaderLock(b, `${key}:ttl`, 300);
    expect((await dead.refresh()).leader).toBe(true);
    expect((await next.refresh()).leader).toBe(false);
    await new Promise((r) => setTimeout(r, 450));
    expect(dead.isLeader).toBe(false);
    expect(await next.refresh()).toEqual({ leader: true, tookOver: true });
    // The old leader cannot extend a lock it no longer holds.
    expect((await dead.refresh()).leader).toBe(false);
    await next.release();
  });
});

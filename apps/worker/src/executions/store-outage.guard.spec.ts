import pino from 'pino';
import { StorageUnavailableError, ObjectNotFoundError } from '@vecron/storage';
import { StoreOutageError, StoreOutageGuard, storeOutageOf } from './store-outage.guard';

const log = pino({ level: 'silent' });

describe('StoreOutageGuard', () => {
  it('delays double from the base, are capped, and stay within ±20% jitter', () => {
    const g = new StoreOutageGuard({ baseDelayMs: 100, maxDelayMs: 1000, maxWaitMs: 10_000 });
    expect([1, 2, 3, 4, 5].map((r) => g.delayFor(r, () => 0.5))).toEqual([100, 200, 400, 800, 1000]);
    for (let i = 0; i < 200; i++) {
      const d = g.delayFor(3);
      expect(d).toBeGreaterThanOrEqual(320);
      expect(d).toBeLessThanOrEqual(480);
    }
  });

  it('retries store outages until the operation succeeds', async () => {
    const g = new StoreOutageGuard({ baseDelayMs: 1, maxDelayMs: 5, maxWaitMs: 5_000 });
    let n = 0;
    const v = await g.run('save', async () => (++n < 4 ? Promise.reject(new StorageUnavailableError('down')) : 'ok'), log);
    expect([v, n]).toEqual(['ok', 4]);
  });

  it('throws other errors at once', async () => {
    const g = new StoreOutageGuard({ baseDelayMs: 1, maxDelayMs: 5, maxWaitMs: 5_000 });
    let n = 0;
    await expect(g.run('read', async () => (n++, Promise.reject(new ObjectNotFoundError('k'))), log)).rejects.toBeInstanceOf(ObjectNotFoundError);
    expect(n).toBe(1);
  });

  it('gives up after maxWaitMs, and at once when the signal aborts, with a StoreOutageError', async () => {
    const g = new StoreOutageGuard({ baseDelayMs: 5, maxDelayMs: 20, maxWaitMs: 100 });
    const t0 = Date.now();
    const err = await g.run('save', () => Promise.reject(new StorageUnavailableError('down')), log).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreOutageError);
    expect(err).toMatchObject({ code: 'STORE_UNAVAILABLE', store: 's3', retryable: true });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(95);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    const g2 = new StoreOutageGuard({ baseDelayMs: 10, maxDelayMs: 10, maxWaitMs: 60_000 });
    const t1 = Date.now();
    await expect(g2.run('save', () => Promise.reject(new StorageUnavailableError('down')), log, ac.signal)).rejects.toBeInstanceOf(StoreOutageError);
    expect(Date.now() - t1).toBeLessThan(1000);
  });

  it('names the store', () => {
    expect(storeOutageOf(new StorageUnavailableError('x'))).toBe('s3');
    expect(storeOutageOf(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe('postgresql');
    expect(storeOutageOf(new ObjectNotFoundError('k'))).toBeNull();
  });
});

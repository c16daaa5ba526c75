import type Redis from 'ioredis';
import { Redlock, type Lock } from '@sesamecare-oss/redlock';

/**
 * Leadership among scheduler processes: a Redis lock (Redlock) with a TTL that the leader
 * renews every tick. When the leader dies, the lock expires and another process takes over.
 */
export class LeaderLock {
  private readonly redlock: Redlock;
  private lock: Lock | null = null;

  constructor(redis: Redis, private readonly key: string, private readonly ttlMs: number) {
    this.redlock = new Redlock([redis], { retryCount: 0, driftFactor: 0.01, automaticExtensionThreshold: 0 });
    // Contention is expected (another scheduler leads); errors surface through acquire/extend results.
    this.redlock.on('error', () => undefined);
  }

  get isLeader(): boolean {
    return this.lock !== null && this.lock.expiration > Date.now();
  }

  /** Acquires or renews leadership; returns whether this process leads now. */
  async refresh(): Promise<{ leader: boolean; tookOver: boolean }> {
    if (this.lock) {
      try {
        this.lock = await this.lock.extend(this.ttlMs);
        return { leader: true, tookOver: false };
      } catch {
        this.lock = null;
      }
    }
    try {
      this.lock = await this.redlock.acquire([this.key], this.ttlMs);
      return { leader: true, tookOver: true };
    } catch {
      return { leader: false, tookOver: false };
    }
  }

  async release(): Promise<void> {
    if (!this.lock) return;
    await this.lock.release().catch(() => undefined);
    this.lock = null;
  }
}

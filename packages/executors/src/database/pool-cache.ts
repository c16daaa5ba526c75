import type { Logger } from 'pino';
import type { ConnectionTarget } from './connection-target';
import type { DbPool } from './database.driver';

export interface PoolCacheOptions {
  /** Most pools (targets) kept open; the least recently used idle one is closed first. Default 20. */
  maxPools?: number;
  /** A pool unused for this long is closed. Default 5 minutes. */
  idleMs?: number;
  logger?: Logger;
}

interface Entry {
  pool: DbPool;
  safe: string;
  lastUsed: number;
  active: number;
}

/**
 * Connection pools per target, keyed by the resolved connection string (hashed): one pool per
 * database the steps talk to, reused across steps and executions. Bounded (`maxPools`), closed
 * when idle (`idleMs`) and all at once by close() (worker shutdown).
 */
export class PoolCache {
  private readonly pools = new Map<string, Entry>();
  private readonly maxPools: number;
  private readonly idleMs: number;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: PoolCacheOptions = {}) {
    this.maxPools = options.maxPools ?? 20;
    this.idleMs = options.idleMs ?? 5 * 60_000;
  }

  get size(): number {
    return this.pools.size;
  }

  /** Runs `fn` with the pool of `target` (created on first use); the pool is not closed while in use. */
  async use<T>(target: ConnectionTarget, create: () => DbPool, fn: (pool: DbPool) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('database pools are closed (shutting down)');
    let entry = this.pools.get(target.key);
    if (!entry) {
      this.evictIfFull();
      entry = { pool: create(), safe: target.safe, lastUsed: Date.now(), active: 0 };
      this.pools.set(target.key, entry);
      this.options.logger?.debug({ target: target.safe, pools: this.pools.size }, 'database pool created');
      this.schedule();
    }
    entry.active++;
    entry.lastUsed = Date.now();
    try {
      return await fn(entry.pool);
    } finally {
      entry.active--;
      entry.lastUsed = Date.now();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    const entries = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(entries.map((e) => e.pool.close()));
  }

  /** Closes pools idle for longer than idleMs. */
  sweep(now = Date.now()): void {
    for (const [key, entry] of this.pools) {
      if (entry.active === 0 && now - entry.lastUsed >= this.idleMs) this.drop(key, entry, 'idle');
    }
    if (this.pools.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private evictIfFull(): void {
    if (this.pools.size < this.maxPools) return;
    let oldest: [string, Entry] | undefined;
    for (const item of this.pools) {
      if (item[1].active === 0 && (!oldest || item[1].lastUsed < oldest[1].lastUsed)) oldest = item;
    }
    // Every pool busy: go over the bound for now; the sweep closes the extra one when idle.
    if (oldest) this.drop(oldest[0], oldest[1], 'evicted');
  }

  private drop(key: string, entry: Entry, why: string): void {
    this.pools.delete(key);
    this.options.logger?.debug({ target: entry.safe, why }, 'database pool closed');
    void entry.pool.close().catch(() => undefined);
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sweep(), Math.max(1000, Math.min(this.idleMs, 60_000)));
    this.timer.unref();
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { Database } from '@vecron/db';
import { RecoveryCounters, type RecoveryRepair } from '@vecron/queue';
import { OBJECT_STORAGE, type ObjectStorage } from '@vecron/storage';
import { API_CONFIG, type ApiEnv } from '../config/api.env';
import { REDIS } from '../redis/redis.module';

export interface ComponentHealth {
  status: 'up' | 'down';
  latency_ms: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  components: { postgresql: ComponentHealth; redis: ComponentHealth; s3: ComponentHealth };
  /** Repairs made by the scheduler's reconciler since Redis last kept its data; null while Redis is down. */
  recovery: Record<RecoveryRepair, number> | null;
}

const TIMEOUT_MS = 2000;

async function probe(fn: () => Promise<unknown>): Promise<ComponentHealth> {
  const start = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      }),
    ]);
    return { status: 'up', latency_ms: Date.now() - start };
  } catch (err) {
    return { status: 'down', latency_ms: Date.now() - start, error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Checks PostgreSQL, Redis and object storage separately, each with its own time limit, so an
 * outage of one shows while it lasts (and clears once it is back: the clients reconnect).
 */
@Injectable()
export class HealthService {
  private readonly counters: RecoveryCounters;

  constructor(
    private readonly db: Database,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(API_CONFIG) config: ApiEnv,
  ) {
    this.counters = new RecoveryCounters(redis, config.QUEUE_PREFIX);
  }

  async check(): Promise<HealthReport> {
    const [postgresql, redis, s3] = await Promise.all([
      probe(() => this.db.ping()),
      probe(() => this.redis.ping()),
      probe(() => this.storage.ping()),
    ]);
    const ok = [postgresql, redis, s3].every((c) => c.status === 'up');
    const recovery = redis.status === 'up' ? await this.counters.read().catch(() => null) : null;
    return { status: ok ? 'ok' : 'degraded', components: { postgresql, redis, s3 }, recovery };
  }
}

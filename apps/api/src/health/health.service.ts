import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { Database } from '@vecron/db';
import { OBJECT_STORAGE, type ObjectStorage } from '@vecron/storage';
import { REDIS } from '../redis/redis.module';

export interface ComponentHealth {
  status: 'up' | 'down';
  latency_ms: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  components: { postgresql: ComponentHealth; redis: ComponentHealth; s3: ComponentHealth };
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

/** Checks PostgreSQL, Redis and object storage separately. */
@Injectable()
export class HealthService {
  constructor(
    private readonly db: Database,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
  ) {}

  async check(): Promise<HealthReport> {
    const [postgresql, redis, s3] = await Promise.all([
      probe(() => this.db.ping()),
      probe(() => this.redis.ping()),
      probe(() => this.storage.ping()),
    ]);
    const ok = [postgresql, redis, s3].every((c) => c.status === 'up');
    return { status: ok ? 'ok' : 'degraded', components: { postgresql, redis, s3 } };
  }
}

/** The repairs the scheduler's reconciler makes, counted in Redis and shown by the api's /health. */
export const RECOVERY_REPAIRS = [
  /** A pending execution whose Bull job was gone (Redis lost its data, crash between insert and enqueue) was enqueued again. */
  'pending_requeued',
  /** An execution waiting for a retry whose delayed resume job was gone was given it again. */
  'resume_requeued',
  /** A running execution whose worker died was resumed from its last saved step on another worker. */
  'running_resumed',
  /** A running execution whose worker died was ended `failed` (WORKER_LOST): no attempt left to resume it. */
  'running_failed',
] as const;
export type RecoveryRepair = (typeof RECOVERY_REPAIRS)[number];

/** What the counters need of a Redis client (ioredis). */
export interface RecoveryCountersRedis {
  hincrby(key: string, field: string, increment: number): Promise<number>;
  hgetall(key: string): Promise<Record<string, string>>;
}

/** The Redis hash holding the counters, under the queue prefix. */
export function recoveryCountersKey(prefix: string): string {
  return `${prefix}:recovery:repairs`;
}

/**
 * Counters of the reconciler's repairs, shared by every scheduler replica (one Redis hash, so the
 * count survives a leader hand-over; a Redis that lost its data starts them again from zero).
 */
export class RecoveryCounters {
  private readonly key: string;

  constructor(
    private readonly redis: RecoveryCountersRedis,
    prefix: string,
  ) {
    this.key = recoveryCountersKey(prefix);
  }

  /** Adds `n` repairs of one kind; returns the new total. */
  add(repair: RecoveryRepair, n: number): Promise<number> {
    return this.redis.hincrby(this.key, repair, n);
  }

  /** Every counter (0 when never counted). */
  async read(): Promise<Record<RecoveryRepair, number>> {
    const raw = await this.redis.hgetall(this.key);
    return Object.fromEntries(RECOVERY_REPAIRS.map((r) => [r, Number(raw[r] ?? 0)])) as Record<RecoveryRepair, number>;
  }
}

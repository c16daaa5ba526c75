import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '@vecron/db';
import { StorageError } from '@vecron/storage';

/** Back-off of the worker's own stores' outages (WORKER_STORE_RETRY_*). */
export interface StoreOutageSettings {
  /** First wait after a failed store operation; doubles each time (±20% jitter). */
  baseDelayMs: number;
  /** Longest single wait. */
  maxDelayMs: number;
  /** Total time an operation keeps being retried before its error is thrown. */
  maxWaitMs: number;
}

/** No waiting at all: the first failure is thrown (unit tests of other parts). */
export const NO_STORE_RETRY: StoreOutageSettings = { baseDelayMs: 0, maxDelayMs: 0, maxWaitMs: 0 };

/** Which of the system's own stores an error says is unreachable, or null for any other error. */
export function storeOutageOf(err: unknown): 's3' | 'postgresql' | null {
  if (err instanceof StorageError) return err.retryable ? 's3' : null;
  return isDatabaseUnavailable(err) ? 'postgresql' : null;
}

/**
 * One of the system's own stores stayed unreachable longer than the worker waits (or the
 * execution was aborted meanwhile): the operation `what` did not happen. Retryable.
 */
export class StoreOutageError extends Error {
  readonly code = 'STORE_UNAVAILABLE';
  readonly retryable = true;
  constructor(
    readonly what: string,
    readonly store: 's3' | 'postgresql',
    cause: unknown,
  ) {
    super(`${store === 's3' ? 'object storage' : 'system database'} unreachable, could not ${what}: ${(cause as Error).message}`, { cause });
    this.name = 'StoreOutageError';
  }
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Runs the worker's own store operations (saving the context to S3, recording the step or the
 * end in PostgreSQL, loading a definition) through outages of those stores: an operation that
 * fails because S3 or PostgreSQL is unreachable (server restarting, connection lost) is tried
 * again with exponential back-off until it succeeds, so the execution carries on where it
 * stopped instead of failing. Any other error is thrown at once. Waiting ends when `signal`
 * aborts (timeout, stop, shutdown) or after `maxWaitMs`: a StoreOutageError is then thrown.
 */
export class StoreOutageGuard {
  constructor(
    private readonly settings: StoreOutageSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether an outage outlasting the in-place wait is handed over to a delayed resume (false when nothing waits at all). */
  get handsOver(): boolean {
    return this.settings.maxWaitMs > 0;
  }

  /** Delay of that resume: the longest single wait. */
  get resumeDelayMs(): number {
    return this.settings.maxDelayMs;
  }

  /** The wait before retry number `retry` (1-based): base × 2^(retry−1), capped, ±20% jitter. */
  delayFor(retry: number, random: () => number = Math.random): number {
    const { baseDelayMs, maxDelayMs } = this.settings;
    const raw = Math.min(baseDelayMs * 2 ** Math.min(retry - 1, 30), maxDelayMs);
    return Math.round(raw * (0.8 + 0.4 * random()));
  }

  async run<T>(what: string, op: () => Promise<T>, log: Logger, signal?: AbortSignal): Promise<T> {
    const start = this.now();
    for (let retry = 1; ; retry++) {
      try {
        const result = await op();
        if (retry > 1) log.info({ operation: what, retries: retry - 1, outage_ms: this.now() - start }, 'store reachable again; carrying on');
        return result;
      } catch (err) {
        const store = storeOutageOf(err);
        if (!store) throw err;
        if (signal?.aborted) throw new StoreOutageError(what, store, err);
        const waited = this.now() - start;
        const delay = Math.min(this.delayFor(retry), this.settings.maxWaitMs - waited);
        if (delay <= 0) {
          log.error({ operation: what, store, outage_ms: waited, err: (err as Error).message }, 'store still unreachable; giving up');
          throw new StoreOutageError(what, store, err);
        }
        log.warn({ operation: what, store, retry, delay_ms: delay, err: (err as Error).message }, 'store unreachable; retrying');
        await sleep(delay, signal);
        if (signal?.aborted) throw new StoreOutageError(what, store, err);
      }
    }
  }
}

import { DEFAULT_RETRY_DELAYS_SECONDS, DEFAULT_RETRY_JITTER, type JobDefinition, type StepDefinition } from '@vecron/definitions';
import { StepError } from '@vecron/executors';

/** A source of random numbers in [0, 1) (Math.random; tests inject their own). */
export type RandomSource = () => number;

export type RetryDecision =
  /** Try the step again after `delayMs` (jitter applied); `attempt` is the number of that next attempt. */
  | { retry: true; delayMs: number; attempt: number }
  /**
   * Do not retry: `not_retryable` — the error's class says so; `retries_disabled` — a retryable
   * error but `max_retries` is 0 (both end the execution `failed`); `exhausted` — a retryable
   * error after every allowed retry (the execution ends `dead_letter`).
   */
  | { retry: false; reason: 'not_retryable' | 'retries_disabled' | 'exhausted' };

/** Cap of the older `backoff_seconds` form's doubling (the default schedule's last delay). */
const LEGACY_BACKOFF_CAP_SECONDS = 1800;

/**
 * Whether a failed attempt of a step is tried again, and after how long. Pure: the random source
 * is a parameter.
 *
 * - Only errors whose class says `retryable` are retried; anything else fails at once.
 * - Retries of a step: `step.retry.max_retries`, else the job's `max_retries`. 0 turns retries off (a failure is a
 *   plain `failed`); after the last allowed retry the step is `exhausted` (the execution ends `dead_letter`).
 * - Delay before retry n: `step.retry.delays_seconds[n-1]`; else (older form) `step.retry.backoff_seconds × 2^(n-1)`
 *   capped at 30 min (or at the base when longer); else the job's `retry.delays_seconds[n-1]`; else the default
 *   5 s, 15 s, 1 min, 5 min, 30 min. A list's last entry repeats for every later retry.
 * - Jitter: the delay is multiplied by a random factor in [1 − j, 1 + j], where j is `step.retry.jitter`, else the
 *   job's `retry.jitter`, else 0.2.
 *
 * @param attempt the attempt that just failed, counted from 1.
 */
export function decideRetry(
  step: Pick<StepDefinition, 'retry'>,
  definition: Pick<JobDefinition, 'max_retries' | 'retry'>,
  error: unknown,
  attempt: number,
  random: RandomSource = Math.random,
): RetryDecision {
  if (!(error instanceof StepError) || !error.retryable) return { retry: false, reason: 'not_retryable' };
  const maxRetries = step.retry?.max_retries ?? definition.max_retries;
  if (maxRetries === 0) return { retry: false, reason: 'retries_disabled' };
  if (attempt > maxRetries) return { retry: false, reason: 'exhausted' };
  const baseMs = retryBaseDelaySeconds(step, definition, attempt) * 1000;
  const jitter = step.retry?.jitter ?? definition.retry?.jitter ?? DEFAULT_RETRY_JITTER;
  const r = Math.min(Math.max(random(), 0), 1);
  return { retry: true, delayMs: Math.round(baseMs * (1 + jitter * (2 * r - 1))), attempt: attempt + 1 };
}

/** The delay before retry number `retry` (counted from 1), in seconds, before jitter. */
export function retryBaseDelaySeconds(
  step: Pick<StepDefinition, 'retry'>,
  definition: Pick<JobDefinition, 'retry'>,
  retry: number,
): number {
  const own = step.retry?.delays_seconds;
  if (own && own.length > 0) return pick(own, retry);
  const backoff = step.retry?.backoff_seconds;
  if (backoff != null) return Math.min(backoff * 2 ** (retry - 1), Math.max(LEGACY_BACKOFF_CAP_SECONDS, backoff));
  const job = definition.retry?.delays_seconds;
  return pick(job && job.length > 0 ? job : DEFAULT_RETRY_DELAYS_SECONDS, retry);
}

function pick(delays: readonly number[], retry: number): number {
  return delays[Math.min(Math.max(retry, 1), delays.length) - 1]!;
}

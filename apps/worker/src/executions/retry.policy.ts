import type { JobDefinition, StepDefinition } from '@vecron/definitions';
import { StepError } from '@vecron/executors';

/** The worker's back-off settings (WORKER_RETRY_BASE_BACKOFF_MS, WORKER_RETRY_MAX_BACKOFF_MS). */
export interface RetrySettings {
  /** Delay before the first retry; doubles with every further one. */
  baseBackoffMs: number;
  /** Longest delay between two attempts. */
  maxBackoffMs: number;
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false };

const NO_RETRY: RetryDecision = { retry: false };

/**
 * Whether a failed attempt of a step is tried again, and after how long. Only errors whose
 * class says `retryable` are retried; anything else fails at once. A step's own `retry`
 * overrides the job's: `max_retries` replaces the job's `max_retries`, `backoff_seconds`
 * replaces the worker's base delay. The delay doubles with each attempt
 * (base × 2^(attempt−1)), capped at the worker's longest delay — or at the step's own base,
 * when that is longer (a step asking for a long pause gets it).
 *
 * @param attempt the attempt that just failed, counted from 1.
 */
export function decideRetry(
  step: Pick<StepDefinition, 'retry'>,
  definition: Pick<JobDefinition, 'max_retries'>,
  error: unknown,
  attempt: number,
  settings: RetrySettings,
): RetryDecision {
  if (!(error instanceof StepError) || !error.retryable) return NO_RETRY;
  const maxRetries = step.retry?.max_retries ?? definition.max_retries;
  if (attempt > maxRetries) return NO_RETRY;
  const stepBase = step.retry?.backoff_seconds;
  const base = stepBase == null ? settings.baseBackoffMs : stepBase * 1000;
  const cap = Math.max(settings.maxBackoffMs, base);
  return { retry: true, delayMs: Math.min(base * 2 ** (attempt - 1), cap) };
}

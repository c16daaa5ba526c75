import { RetryableStepError, StepTimeoutError, UnrecoverableStepError } from '@vecron/executors';
import { decideRetry, type RetrySettings } from './retry.policy';

const settings: RetrySettings = { baseBackoffMs: 1_000, maxBackoffMs: 30_000 };
const job = { max_retries: 3 };
const plain = { retry: null };
const temporary = new RetryableStepError('503 from upstream', 'HTTP_503');

describe('decideRetry', () => {
  it('retries a retryable error with exponential back-off from the worker settings, up to the job max_retries', () => {
    expect([1, 2, 3, 4].map((attempt) => decideRetry(plain, job, temporary, attempt, settings))).toEqual([
      { retry: true, delayMs: 1_000 },
      { retry: true, delayMs: 2_000 },
      { retry: true, delayMs: 4_000 },
      { retry: false },
    ]);
  });

  it('caps the delay at the worker maximum', () => {
    expect(decideRetry(plain, { max_retries: 10 }, temporary, 7, settings)).toEqual({ retry: true, delayMs: 30_000 });
  });

  it('fails at once on an error that is not retryable, whatever attempts remain', () => {
    expect(decideRetry(plain, job, new UnrecoverableStepError('401', 'HTTP_401'), 1, settings)).toEqual({ retry: false });
    expect(decideRetry(plain, job, new Error('a bug'), 1, settings)).toEqual({ retry: false });
    expect(decideRetry(plain, job, 'thrown string', 1, settings)).toEqual({ retry: false });
  });

  it('retries a step timeout (retryable by its class)', () => {
    expect(decideRetry(plain, job, new StepTimeoutError(5), 1, settings)).toEqual({ retry: true, delayMs: 1_000 });
  });

  it('a step retry.max_retries replaces the job one, in both directions', () => {
    expect(decideRetry({ retry: { max_retries: 0 } }, job, temporary, 1, settings)).toEqual({ retry: false });
    expect(decideRetry({ retry: { max_retries: 5 } }, job, temporary, 5, settings)).toEqual({ retry: true, delayMs: 16_000 });
    expect(decideRetry({ retry: { max_retries: 5 } }, job, temporary, 6, settings)).toEqual({ retry: false });
    // null / absent fields fall back to the job's.
    expect(decideRetry({ retry: { max_retries: null, backoff_seconds: 2 } }, job, temporary, 3, settings)).toEqual({ retry: true, delayMs: 8_000 });
    expect(decideRetry({ retry: { max_retries: null } }, job, temporary, 4, settings)).toEqual({ retry: false });
  });

  it('a step retry.backoff_seconds replaces the base delay; a base longer than the worker cap is kept, not cut', () => {
    expect(decideRetry({ retry: { backoff_seconds: 0 } }, job, temporary, 2, settings)).toEqual({ retry: true, delayMs: 0 });
    expect(decideRetry({ retry: { backoff_seconds: 3 } }, job, temporary, 2, settings)).toEqual({ retry: true, delayMs: 6_000 });
    expect(decideRetry({ retry: { backoff_seconds: 60 } }, job, temporary, 1, settings)).toEqual({ retry: true, delayMs: 60_000 });
    expect(decideRetry({ retry: { backoff_seconds: 60 } }, job, temporary, 3, settings)).toEqual({ retry: true, delayMs: 60_000 });
  });
});

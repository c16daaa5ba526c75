import { RetryableStepError, StepTimeoutError, UnrecoverableStepError } from '@vecron/executors';
import { decideRetry, retryBaseDelaySeconds } from './retry.policy';

const job = { max_retries: 10, retry: null };
const plain = { retry: null };
const temporary = new RetryableStepError('503 from upstream', 'HTTP_503');
/** No jitter: the random source's midpoint gives a factor of exactly 1. */
const mid = () => 0.5;

describe('decideRetry', () => {
  it('follows the default schedule 5 s, 15 s, 1 min, 5 min, then 30 min for every later retry, up to max_retries (default 10)', () => {
    const delays = Array.from({ length: 11 }, (_, i) => decideRetry(plain, job, temporary, i + 1, mid));
    expect(delays.slice(0, 10)).toEqual(
      [5, 15, 60, 300, 1800, 1800, 1800, 1800, 1800, 1800].map((s, i) => ({ retry: true, delayMs: s * 1000, attempt: i + 2 })),
    );
    expect(delays[10]).toEqual({ retry: false, reason: 'exhausted' });
  });

  it('keeps every delay within ±20 % by default, reaching both bounds', () => {
    const low = decideRetry(plain, job, temporary, 1, () => 0);
    const high = decideRetry(plain, job, temporary, 1, () => 0.999_999_999);
    expect(low).toEqual({ retry: true, delayMs: 4_000, attempt: 2 });
    expect(high).toEqual({ retry: true, delayMs: 6_000, attempt: 2 });
    // Random draws stay inside the bounds for every retry of the schedule.
    let seed = 42;
    const lcg = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const base = retryBaseDelaySeconds(plain, job, attempt) * 1000;
      for (let i = 0; i < 200; i++) {
        const d = decideRetry(plain, job, temporary, attempt, lcg);
        if (!d.retry) throw new Error('expected a retry');
        expect(d.delayMs).toBeGreaterThanOrEqual(base * 0.8);
        expect(d.delayMs).toBeLessThanOrEqual(base * 1.2);
      }
    }
  });

  it('a random source outside [0, 1) cannot push the delay past the jitter bounds', () => {
    expect(decideRetry(plain, job, temporary, 2, () => 7)).toEqual({ retry: true, delayMs: 18_000, attempt: 3 });
    expect(decideRetry(plain, job, temporary, 2, () => -3)).toEqual({ retry: true, delayMs: 12_000, attempt: 3 });
  });

  it('max_retries 0 turns retries off (not an exhausted retry)', () => {
    expect(decideRetry(plain, { max_retries: 0, retry: null }, temporary, 1)).toEqual({ retry: false, reason: 'retries_disabled' });
  });

  it('fails at once on an error that is not retryable, whatever attempts remain', () => {
    expect(decideRetry(plain, job, new UnrecoverableStepError('401', 'HTTP_401'), 1)).toEqual({ retry: false, reason: 'not_retryable' });
    expect(decideRetry(plain, job, new Error('a bug'), 1)).toEqual({ retry: false, reason: 'not_retryable' });
    expect(decideRetry(plain, job, 'thrown string', 1)).toEqual({ retry: false, reason: 'not_retryable' });
  });

  it('retries a step timeout (retryable by its class)', () => {
    expect(decideRetry(plain, job, new StepTimeoutError(5), 1, mid)).toEqual({ retry: true, delayMs: 5_000, attempt: 2 });
  });

  it("the job's retry schedule and jitter replace the defaults; its last delay repeats", () => {
    const custom = { max_retries: 4, retry: { delays_seconds: [1, 2], jitter: 0 } };
    expect([1, 2, 3, 4, 5].map((a) => decideRetry(plain, custom, temporary, a, () => 0))).toEqual([
      { retry: true, delayMs: 1_000, attempt: 2 },
      { retry: true, delayMs: 2_000, attempt: 3 },
      { retry: true, delayMs: 2_000, attempt: 4 },
      { retry: true, delayMs: 2_000, attempt: 5 },
      { retry: false, reason: 'exhausted' },
    ]);
    const spread = { max_retries: 4, retry: { jitter: 0.5 } };
    expect(decideRetry(plain, spread, temporary, 1, () => 0)).toEqual({ retry: true, delayMs: 2_500, attempt: 2 });
  });

  it("a step's retry replaces the job's, field by field", () => {
    const custom = { max_retries: 3, retry: { delays_seconds: [10], jitter: 0 } };
    expect(decideRetry({ retry: { max_retries: 0 } }, custom, temporary, 1)).toEqual({ retry: false, reason: 'retries_disabled' });
    expect(decideRetry({ retry: { max_retries: 1 } }, custom, temporary, 2)).toEqual({ retry: false, reason: 'exhausted' });
    expect(decideRetry({ retry: { max_retries: 5 } }, custom, temporary, 5, mid)).toEqual({ retry: true, delayMs: 10_000, attempt: 6 });
    expect(decideRetry({ retry: { delays_seconds: [3, 4] } }, custom, temporary, 3, () => 0)).toEqual({ retry: true, delayMs: 4_000, attempt: 4 });
    expect(decideRetry({ retry: { jitter: 0.1 } }, custom, temporary, 1, () => 0)).toEqual({ retry: true, delayMs: 9_000, attempt: 2 });
    // null / absent fields fall back to the job's.
    expect(decideRetry({ retry: { max_retries: null, delays_seconds: null } }, custom, temporary, 4)).toEqual({ retry: false, reason: 'exhausted' });
  });

  it('the older step form backoff_seconds doubles from its base up to 30 minutes (a longer base is kept)', () => {
    const noJitter = { max_retries: 20, retry: { jitter: 0 } };
    expect([1, 2, 3].map((a) => retryBaseDelaySeconds({ retry: { backoff_seconds: 3 } }, noJitter, a))).toEqual([3, 6, 12]);
    expect(retryBaseDelaySeconds({ retry: { backoff_seconds: 3 } }, noJitter, 15)).toBe(1800);
    expect(retryBaseDelaySeconds({ retry: { backoff_seconds: 3600 } }, noJitter, 3)).toBe(3600);
    expect(retryBaseDelaySeconds({ retry: { backoff_seconds: 0 } }, noJitter, 2)).toBe(0);
    // delays_seconds wins over backoff_seconds.
    expect(retryBaseDelaySeconds({ retry: { backoff_seconds: 3, delays_seconds: [7] } }, noJitter, 2)).toBe(7);
  });
});

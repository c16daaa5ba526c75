import { decideOverlap, decideWhenQueueTaken, wakeCount } from './overlap.policy';

describe('decideOverlap', () => {
  it('follows the policy for a scheduled fire', () => {
    expect(decideOverlap('scheduled', 'skip')).toEqual({ action: 'skip', reason: 'previous_execution_still_running' });
    expect(decideOverlap('scheduled', 'queue')).toEqual({ action: 'wait' });
    expect(decideOverlap('scheduled', 'cancel_previous')).toEqual({ action: 'cancel_previous' });
  });

  it('skips by default (no policy in the definition)', () => {
    expect(decideOverlap('scheduled', undefined)).toEqual({ action: 'skip', reason: 'previous_execution_still_running' });
  });

  it('skips a manual or webhook trigger whatever the policy (the api answers those with 409)', () => {
    expect(decideOverlap('manual', 'queue').action).toBe('skip');
    expect(decideOverlap('webhook', 'cancel_previous').action).toBe('skip');
  });
});

describe('decideWhenQueueTaken', () => {
  it('queue keeps the waiting fire and skips the newer one; cancel_previous lets the newest win', () => {
    expect(decideWhenQueueTaken('queue')).toEqual({ action: 'skip', reason: 'overlap_queue_full' });
    expect(decideWhenQueueTaken('cancel_previous')).toEqual({ action: 'supersede' });
  });
});

describe('wakeCount', () => {
  it('wakes one waiter of an exclusive job that queues, up to max_concurrent of a limited job, none otherwise', () => {
    expect(wakeCount({ allow_concurrent: false, overlap_policy: 'queue' })).toBe(1);
    expect(wakeCount({ allow_concurrent: false, overlap_policy: 'cancel_previous' })).toBe(1);
    expect(wakeCount({ allow_concurrent: false, overlap_policy: 'skip' })).toBe(0);
    expect(wakeCount({ allow_concurrent: false })).toBe(0);
    expect(wakeCount({ allow_concurrent: true, max_concurrent: 3 })).toBe(3);
    expect(wakeCount({ allow_concurrent: true, max_concurrent: null })).toBe(0);
  });
});

import type { TriggerSource } from '@vecron/db';
import type { OverlapPolicy } from '@vecron/definitions';

/** What an exclusive execution (allow_concurrent false) does when another run of its job is running. */
export type OverlapAction =
  /** Not run: ends `cancelled`; a scheduled fire is recorded in schedule_skips with `reason`. */
  | { action: 'skip'; reason: 'previous_execution_still_running' | 'overlap_queue_full' }
  /** Waits (pending, marked) and runs once the running one ends. */
  | { action: 'wait' }
  /** Stops the running execution and waits for it to end, then runs. */
  | { action: 'cancel_previous' };

/**
 * The overlap decision for an execution that found another run of its job in flight. Only
 * scheduled fires follow the job's `overlap_policy` (default `skip`); a manual or webhook
 * trigger that got past the api's 409 check (a race) is skipped.
 */
export function decideOverlap(triggerSource: TriggerSource, policy: OverlapPolicy | undefined): OverlapAction {
  if (triggerSource !== 'scheduled') return { action: 'skip', reason: 'previous_execution_still_running' };
  switch (policy ?? 'skip') {
    case 'queue':
      return { action: 'wait' };
    case 'cancel_previous':
      return { action: 'cancel_previous' };
    default:
      return { action: 'skip', reason: 'previous_execution_still_running' };
  }
}

/**
 * Another scheduled fire already waits behind the running one (at most one may). Under `queue`
 * the newer fire is skipped (`overlap_queue_full`): the queued one keeps its place. Under
 * `cancel_previous` the newest fire wins: the waiting one is superseded (ends `cancelled`).
 */
export function decideWhenQueueTaken(policy: OverlapPolicy | undefined): { action: 'skip'; reason: 'overlap_queue_full' } | { action: 'supersede' } {
  return policy === 'cancel_previous' ? { action: 'supersede' } : { action: 'skip', reason: 'overlap_queue_full' };
}

/** How many waiting executions to wake when a run of the job ends; 0 when none can wait. */
export function wakeCount(definition: { allow_concurrent: boolean; overlap_policy?: OverlapPolicy; max_concurrent?: number | null }): number {
  if (definition.allow_concurrent) return definition.max_concurrent ?? 0;
  return definition.overlap_policy === 'queue' || definition.overlap_policy === 'cancel_previous' ? 1 : 0;
}

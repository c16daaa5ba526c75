import type { Logger } from 'pino';
import {
  stopRequestOf,
  type ExecutionRecord,
  type ExecutionsRepository,
  type ExecutionWaitsRepository,
  type JobsRepository,
  type StopRequest,
  type WaitReason,
} from '@vecron/db';
import type { JobDefinition, OverlapPolicy } from '@vecron/definitions';
import { decideOverlap, decideWhenQueueTaken, wakeCount } from './overlap.policy';

export interface ExecutionWaitOptions {
  executions: ExecutionsRepository;
  waits: ExecutionWaitsRepository;
  jobs: JobsRepository;
  /** The definition version an execution names (the worker's cache). */
  definition: (jobId: string, version: number) => Promise<JobDefinition>;
  /** Adds a Bull delivery of the execution under `key` (a Bull jobId of its own), after `delayMs`. */
  enqueue: (executionId: string, jobId: string, key: string, delayMs: number) => Promise<void>;
  /** Announces a stop to the worker holding the execution (the Redis stop channel). */
  publishStop: (request: StopRequest) => Promise<void>;
  /** Safety-net re-check of a waiting execution (a wake-up normally comes first). */
  recheckMs: number;
  logger: Logger;
}

/** What became of an execution that found another run of its exclusive job in flight. */
export type OverlapOutcome = 'skipped' | 'waiting' | 'gone';

/**
 * Executions that cannot run yet: the job's `overlap_policy` for an exclusive execution that
 * found another run in flight (skip / queue / cancel_previous), the waiting marks, the one
 * delayed re-check per waiting execution, and the wake-up of waiters when a run of the job ends.
 * A waiting execution stays `pending` and holds no worker slot: it is delivered again by a
 * wake-up (the end of a run of its job) or by its re-check (`recheckMs`, if a wake-up was lost).
 */
export class ExecutionWaitService {
  constructor(private readonly o: ExecutionWaitOptions) {}

  /** An exclusive execution is blocked by a running one of its job: applies the overlap policy. */
  async onOverlap(executionId: string): Promise<OverlapOutcome> {
    const row = await this.o.executions.findById(executionId);
    if (!row || row.status !== 'pending') return 'gone';
    // A delivery of the execution already waiting: it keeps waiting.
    if ((await this.o.waits.waitReasonOf(executionId)) !== null) return 'waiting';
    const policy = row.trigger_source === 'scheduled' ? await this.policyOf(row) : undefined;
    const decision = decideOverlap(row.trigger_source, policy);
    if (decision.action === 'skip') return this.skip(row, decision.reason);
    const reason: WaitReason = decision.action === 'wait' ? 'overlap_queue' : 'cancel_previous';
    let mark = await this.o.waits.markWaiting(executionId, reason);
    if (mark === 'taken') {
      const taken = decideWhenQueueTaken(policy);
      if (taken.action === 'skip') return this.skip(row, taken.reason);
      await this.supersedeWaiter(row);
      mark = await this.o.waits.markWaiting(executionId, reason);
      if (mark === 'taken') return this.skip(row, 'overlap_queue_full');
    }
    if (mark === 'not_pending') return 'gone';
    const log = this.o.logger.child({ job_id: row.job_id, execution_id: row.id });
    if (decision.action === 'cancel_previous') await this.cancelRunning(row, log);
    else log.info({ overlap_policy: 'queue' }, 'scheduled fire queued behind the running execution');
    return 'waiting';
  }

  /**
   * Schedules the next delivery of a waiting execution after `recheckMs`, unless one is already
   * scheduled (one chain per waiting execution, however many deliveries found it blocked).
   */
  async scheduleRecheck(executionId: string, jobId: string): Promise<void> {
    if (!(await this.o.waits.takeRecheck(executionId, this.o.recheckMs))) return;
    await this.o.enqueue(executionId, jobId, `${executionId}:recheck:${Date.now()}`, this.o.recheckMs);
  }

  /**
   * A run of the job ended: delivers its oldest waiting executions at once (one behind an
   * overlap, up to max_concurrent for a limited job). Nothing is read for a job that cannot
   * have waiters.
   */
  async afterFinish(execution: Pick<ExecutionRecord, 'id' | 'job_id'>, definition: JobDefinition): Promise<void> {
    const n = wakeCount(definition);
    if (n === 0) return;
    for (const w of await this.o.waits.findWaiting(execution.job_id, n)) {
      await this.o.enqueue(w.id, w.job_id, `${w.id}:wake:${execution.id}`, 0);
      this.o.logger.debug({ job_id: w.job_id, execution_id: w.id, wait_reason: w.wait_reason, after: execution.id }, 'waiting execution woken');
    }
  }

  private async policyOf(row: ExecutionRecord): Promise<OverlapPolicy | undefined> {
    try {
      return (await this.o.definition(row.job_id, row.definition_version)).overlap_policy;
    } catch (err) {
      this.o.logger.warn({ job_id: row.job_id, execution_id: row.id, err: (err as Error).message }, 'definition unreadable: overlap policy skip');
      return undefined;
    }
  }

  /** Ends the execution `cancelled` (not run) and records a scheduled fire in schedule_skips. */
  private async skip(row: ExecutionRecord, reason: 'previous_execution_still_running' | 'overlap_queue_full'): Promise<OverlapOutcome> {
    const error =
      reason === 'overlap_queue_full'
        ? { message: 'skipped: another scheduled fire of this job is already queued behind the running execution (overlap_policy queue)', code: 'OVERLAP_QUEUE_FULL' }
        : { message: 'skipped: another execution of this job is still running (allow_concurrent is false)', code: 'CONCURRENT_RUN' };
    const done = await this.o.executions.finish(row.id, 'cancelled', error, undefined, ['pending']);
    if (!done) return 'gone';
    if (row.trigger_source === 'scheduled' && row.scheduled_for) {
      await this.o.jobs.recordSkips([{ job_id: row.job_id, fire_time: row.scheduled_for, reason }]);
    }
    this.o.logger.info({ job_id: row.job_id, execution_id: row.id, reason }, 'execution skipped: overlap');
    return 'skipped';
  }

  /** cancel_previous: an older fire waits already; the newer one takes its place. */
  private async supersedeWaiter(row: ExecutionRecord): Promise<void> {
    const older = await this.o.waits.findOverlapWaiter(row.job_id, row.id);
    if (!older) return;
    const done = await this.o.executions.finish(
      older.id,
      'cancelled',
      { message: `superseded by the scheduled fire of ${fireOf(row)} (execution ${row.id}, overlap_policy cancel_previous)`, code: 'OVERLAP_SUPERSEDED' },
      undefined,
      ['pending'],
    );
    if (done && older.scheduled_for) await this.o.jobs.recordSkips([{ job_id: older.job_id, fire_time: older.scheduled_for, reason: 'overlap_superseded' }]);
  }

  /** cancel_previous: stops the running execution through the stop path; it ends `cancelled` naming this fire. */
  private async cancelRunning(row: ExecutionRecord, log: Logger): Promise<void> {
    const running = await this.o.waits.findRunningExclusive(row.job_id);
    if (!running) return;
    const outcome = await this.o.executions.requestStop(running, {
      by: `scheduled fire ${fireOf(row)} (execution ${row.id}, overlap_policy cancel_previous)`,
    });
    if (outcome.outcome === 'running') {
      const request = stopRequestOf(outcome.execution);
      if (request) await this.o.publishStop(request).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'stop announcement failed (the flag on the row remains)'));
    }
    log.info({ overlap_policy: 'cancel_previous', cancelled_execution_id: running, outcome: outcome.outcome }, 'running execution stopped for a new scheduled fire');
  }
}

function fireOf(row: Pick<ExecutionRecord, 'scheduled_for' | 'created_at'>): string {
  return (row.scheduled_for ?? row.created_at).toISOString();
}

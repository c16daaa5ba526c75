import type { Queue } from 'bull';
import type { Logger } from 'pino';
import { stoppedError, stopRequestOf, type ExecutionRecord, type ExecutionsRepository, type NewAttempt } from '@vecron/db';
import { resumeJobId, type ExecutionDispatcher, type ExecutionJobData, type RecoveryCounters } from '@vecron/queue';

const WORKER_LOST = 'WORKER_LOST';

export interface ReconcilerSettings {
  /** A pending execution due longer ago than this is checked against the queue. */
  pendingAfterMs: number;
  /** A running execution without a heartbeat for this long lost its worker. */
  staleRunningMs: number;
  /** Most rows repaired per sweep and kind. */
  batch: number;
  /** Resumes of one execution after lost workers; the next loss ends it `failed` (WORKER_LOST). */
  maxResumes: number;
}

export interface ReconcileResult {
  pending_requeued: number;
  resumes_requeued: number;
  running_resumed: number;
  running_failed: number;
}

/** Bull states in which a job will still be delivered. */
const LIVE_STATES = new Set(['waiting', 'delayed', 'active', 'paused']);

/**
 * The leading scheduler's reconciler (run every SCHEDULER_RECOVERY_INTERVAL_MS): makes sure no
 * execution stays stuck.
 * - A `pending` execution, due, whose Bull job is gone (Redis restarted without its data, a
 *   crash between the row's insert and the enqueue) or already finished without claiming it (a
 *   delivery that failed while PostgreSQL was down) is enqueued again. A job Bull still holds
 *   (waiting behind a backlog, delayed, active) is left alone.
 * - An execution waiting for a retry whose delayed resume job is overdue and gone is given it again.
 * - A `running` execution whose worker stopped sending heartbeats (killed, machine lost) is
 *   resumed from its last saved step by any worker (the retry path,
 *   `ExecutionDispatcher.scheduleResume`), at most `maxResumes` times; then it ends `failed`
 *   with code WORKER_LOST (`cancelled` when a stop had been asked for).
 * Each repair is logged (`repair`, ids) and counted in Redis (RecoveryCounters, shown by /health).
 */
export class ExecutionReconciler {
  constructor(
    private readonly executions: ExecutionsRepository,
    private readonly dispatcher: ExecutionDispatcher,
    private readonly queue: Queue<ExecutionJobData>,
    private readonly counters: RecoveryCounters,
    private readonly settings: ReconcilerSettings,
    private readonly logger: Logger,
  ) {}

  async sweep(now: number = Date.now()): Promise<ReconcileResult> {
    const pending_requeued = await this.requeueLostPending(now);
    const resumes_requeued = await this.requeueLostResumes(now);
    const running = await this.repairLostRunning(now);
    return { pending_requeued, resumes_requeued, running_resumed: running.resumed, running_failed: running.failed };
  }

  /** Bull job (`id`) will still be delivered; a finished one is removed so that it can be added again. */
  private async stillQueued(id: string, executionId: string): Promise<boolean> {
    const job = await this.queue.getJob(id);
    if (!job) return false;
    const state = await job.getState();
    if (LIVE_STATES.has(state)) return true;
    // completed/failed without a claim (the delivery failed): Bull keeps the id, so remove it to add it again.
    try {
      await job.remove();
      return false;
    } catch (err) {
      this.logger.warn({ execution_id: executionId, state, err: (err as Error).message }, 'finished Bull job could not be removed yet; next sweep');
      return true;
    }
  }

  /** Executions waiting for a retry whose delayed resume job is overdue and gone (lost with Redis data) get it again. */
  private async requeueLostResumes(now: number): Promise<number> {
    const overdue = await this.executions.findOverdueWaiting(new Date(now - this.settings.pendingAfterMs), this.settings.batch);
    const lost: ExecutionRecord[] = [];
    for (const e of overdue) if (!(await this.stillQueued(resumeJobId(e.id, e.next_attempt_at!), e.id))) lost.push(e);
    if (lost.length === 0) return 0;
    await this.dispatcher.enqueueResumes(lost);
    const total = await this.counters.add('resume_requeued', lost.length);
    for (const e of lost) this.logger.warn({ repair: 'resume_requeued', job_id: e.job_id, execution_id: e.id, repairs_total: total }, 'waiting execution had no queued resume: enqueued again');
    return lost.length;
  }

  /** Pending executions whose Bull job is gone go back on the queue. */
  private async requeueLostPending(now: number): Promise<number> {
    const stale = await this.executions.findStalePending(new Date(now - this.settings.pendingAfterMs), this.settings.batch);
    const lost: ExecutionRecord[] = [];
    for (const e of stale) if (!(await this.stillQueued(e.id, e.id))) lost.push(e);
    if (lost.length === 0) return 0;
    await this.dispatcher.enqueueMany(lost, 0);
    const total = await this.counters.add('pending_requeued', lost.length);
    for (const e of lost) this.logger.warn({ repair: 'pending_requeued', job_id: e.job_id, execution_id: e.id, repairs_total: total }, 'pending execution had no queued delivery: enqueued again');
    return lost.length;
  }

  /**
   * Running executions whose worker stopped sending heartbeats (killed, machine lost): resumed
   * from their last saved step on any worker (`ExecutionDispatcher.scheduleResume`, the retry
   * path) while resumes remain; failed WORKER_LOST after SCHEDULER_WORKER_LOST_MAX_RESUMES of them.
   */
  private async repairLostRunning(now: number): Promise<{ resumed: number; failed: number }> {
    const stale = await this.executions.findStaleRunning(new Date(now - this.settings.staleRunningMs), this.settings.batch);
    const out = { resumed: 0, failed: 0 };
    for (const e of stale) {
      const message = `worker lost: no heartbeat from ${e.worker_id ?? 'its worker'} for ${Math.round(this.settings.staleRunningMs / 1000)} s`;
      const log = { job_id: e.job_id, execution_id: e.id, worker_id: e.worker_id, step_id: e.current_step };
      const lostBefore = await this.executions.countAttempts(e.id, WORKER_LOST);
      if (lostBefore < this.settings.maxResumes && !e.cancel_requested_at) {
        const lost: NewAttempt = {
          step_id: e.current_step ?? '', attempt: e.attempt, status: 'failed', error_code: WORKER_LOST, error_message: message, retryable: true,
          started_at: e.updated_at, finished_at: new Date(now), next_attempt_at: new Date(now), worker_id: e.worker_id,
        };
        // Killed before its first step: '' starts it from the beginning (no step ran).
        const row = await this.dispatcher.scheduleResume(e.id, e.current_step ?? '', 0, { attempt: e.current_step ? e.attempt + 1 : 1, expectWorkerId: e.worker_id, attempts: [lost] });
        if (row) {
          out.resumed++;
          const total = await this.counters.add('running_resumed', 1);
          this.logger.warn({ repair: 'running_resumed', ...log, resumes: lostBefore + 1, repairs_total: total }, 'worker lost: execution resumed from its last saved step');
        }
        continue;
      }
      const row = e.cancel_requested_at
        ? await this.executions.finish(e.id, 'cancelled', stoppedError(stopRequestOf(e)!), undefined, ['running'])
        : await this.executions.finish(e.id, 'failed', { message, code: WORKER_LOST, ...(e.current_step ? { step_id: e.current_step } : {}) }, undefined, ['running']);
      if (!row) continue;
      out.failed++;
      const total = await this.counters.add('running_failed', 1);
      this.logger.warn({ repair: 'running_failed', ...log, status: row.status, repairs_total: total }, 'worker lost: execution ended (no resume left)');
    }
    return out;
  }
}

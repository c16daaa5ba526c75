import type { Queue } from 'bull';
import type { Logger } from 'pino';
import type { ExecutionRecord, ExecutionsRepository } from '@vecron/db';
import type { ExecutionDispatcher, ExecutionJobData, RecoveryCounters } from '@vecron/queue';

export interface ReconcilerSettings {
  /** A pending execution due longer ago than this is checked against the queue. */
  pendingAfterMs: number;
  /** A running execution without a heartbeat for this long lost its worker. */
  staleRunningMs: number;
  /** Most rows repaired per sweep and kind. */
  batch: number;
}

export interface ReconcileResult {
  pending_requeued: number;
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
 * - A `running` execution whose worker stopped sending heartbeats (killed, machine lost) ends
 *   `failed` with code WORKER_LOST.
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
    const running_failed = await this.repairLostRunning(now);
    return { pending_requeued, running_failed };
  }

  /** Pending executions whose Bull job is gone go back on the queue. */
  private async requeueLostPending(now: number): Promise<number> {
    const stale = await this.executions.findStalePending(new Date(now - this.settings.pendingAfterMs), this.settings.batch);
    const lost: ExecutionRecord[] = [];
    for (const e of stale) {
      const job = await this.queue.getJob(e.id);
      if (job) {
        const state = await job.getState();
        if (LIVE_STATES.has(state)) continue;
        // completed/failed without a claim (the delivery failed): Bull keeps the id, so remove it to add it again.
        try {
          await job.remove();
        } catch (err) {
          this.logger.warn({ execution_id: e.id, state, err: (err as Error).message }, 'finished Bull job could not be removed yet; next sweep');
          continue;
        }
      }
      lost.push(e);
    }
    if (lost.length === 0) return 0;
    await this.dispatcher.enqueueMany(lost, 0);
    const total = await this.counters.add('pending_requeued', lost.length);
    for (const e of lost) this.logger.warn({ repair: 'pending_requeued', job_id: e.job_id, execution_id: e.id, repairs_total: total }, 'pending execution had no queued delivery: enqueued again');
    return lost.length;
  }

  /** Running executions whose worker stopped sending heartbeats (killed) end `failed`, never stay running. */
  private async repairLostRunning(now: number): Promise<number> {
    const stale = await this.executions.findStaleRunning(new Date(now - this.settings.staleRunningMs), this.settings.batch);
    let failed = 0;
    for (const e of stale) {
      const row = await this.executions.finish(e.id, 'failed', {
        message: `worker lost: no heartbeat from ${e.worker_id ?? 'its worker'} for ${Math.round(this.settings.staleRunningMs / 1000)} s`,
        code: 'WORKER_LOST',
        ...(e.current_step ? { step_id: e.current_step } : {}),
      }, undefined, ['running']);
      if (!row) continue;
      failed++;
      const total = await this.counters.add('running_failed', 1);
      this.logger.warn({ repair: 'running_failed', job_id: e.job_id, execution_id: e.id, worker_id: e.worker_id, repairs_total: total }, 'execution failed: worker lost');
    }
    return failed;
  }
}

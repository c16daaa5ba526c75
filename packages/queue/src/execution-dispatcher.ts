import { randomUUID } from 'crypto';
import { context, propagation } from '@opentelemetry/api';
import type { Queue } from 'bull';
import type { Logger } from 'pino';
import type { Database, ExecutionRecord, ExecutionsRepository, NewAttempt, Queryable, TriggerSource } from '@vecron/db';
import { executionContextKey } from '@vecron/storage';
import { executionJobOptions, resumeJobId, type ExecutionJobData } from './execution-queue';

export interface DispatchRequest {
  jobId: string;
  definitionVersion: number;
  triggerSource: TriggerSource;
  /** Unique per logical trigger: `sched:{job_id}:{fire_time_utc}` for scheduled fires. */
  idempotencyKey?: string;
  triggerMetadata?: Record<string, unknown>;
  /** The fire time of a scheduled run. */
  scheduledFor?: Date | null;
  /** The job's allow_concurrent: false makes this run exclusive (skipped if another is running). */
  allowConcurrent: boolean;
  /** Delay the Bull job so that it starts at `scheduledFor` (enqueue-ahead). */
  delayMs?: number;
  /** A replay: the execution it replays. */
  replayOf?: string | null;
  /** Start at this step with the replayed execution's context before it (replay from the failed step). */
  resumeStep?: string | null;
}

/** Options of `scheduleResume`. */
export interface ResumeOptions {
  /** The attempt number the resumed step runs as (the row's `attempt`); unchanged when absent. */
  attempt?: number;
  /**
   * Only when this worker holds the execution (a worker scheduling its own retry). Undefined:
   * whoever holds it (recovery of an execution whose worker died).
   */
  expectWorkerId?: string | null;
  /** Attempts recorded in the same statement. */
  attempts?: NewAttempt[];
}

export interface DispatchResult {
  /** The execution row (the existing one when the idempotency key was taken). */
  executionId: string | null;
  /** False when another trigger already created this execution. */
  created: boolean;
  execution: ExecutionRecord | null;
}

/** What `dispatchUnlessActive` did: started an execution, or found one of the job in progress. */
export type ExclusiveDispatchResult = { started: true; execution: ExecutionRecord } | { started: false; activeExecutionId: string };

export interface ExecutionDispatcherOptions {
  executions: ExecutionsRepository;
  /** For `dispatchUnlessActive` (its transaction). */
  db?: Database;
  queue: Queue<ExecutionJobData>;
  logger: Logger;
}

/** `{trace}`: the active W3C trace context for a Bull job's data; nothing when there is none (tracing off). */
function traceData(): Pick<ExecutionJobData, 'trace'> {
  const trace: Record<string, string> = {};
  propagation.inject(context.active(), trace);
  return trace.traceparent ? { trace } : {};
}

/** Most time between the deliveries of two fires prepared ahead (`deliverySpreadMs`). */
export const DELIVERY_SPREAD_STEP_MS = 1;

/**
 * How much later than the full lead the `index`-th of `count` fires enqueued together is
 * delivered: up to 1 ms after the one before it, and never more than half the lead. Bull hands
 * a delayed job that becomes due to the worker whose blocking pop has waited longest, and that
 * worker takes every job already waiting with the pops it has queued behind it: a burst that
 * becomes due all at once went 48 / 2 to one of two workers, which then started its 48 one
 * after another on one core while the other idled. Due one after another, the fires alternate
 * between the waiting workers. They are all still delivered at least half the lead ahead.
 */
export function deliverySpreadMs(index: number, count: number, leadMs: number): number {
  if (count < 2 || leadMs <= 0) return 0;
  return Math.floor(index * Math.min(DELIVERY_SPREAD_STEP_MS, leadMs / 2 / count));
}

/**
 * The one way an execution starts (invariant 1): insert the pending row with its unique
 * idempotency key, then enqueue a Bull job whose jobId is the execution id. A crash between
 * the two leaves a pending row that the scheduler's recovery sweep puts back on the queue.
 */
export class ExecutionDispatcher {
  constructor(private readonly options: ExecutionDispatcherOptions) {}

  /** Inserts the row and, unless inside a caller's transaction (`q`), enqueues it. */
  async dispatch(req: DispatchRequest, q?: Queryable): Promise<DispatchResult> {
    const [row] = await this.insertMany([req], q);
    if (!row) {
      this.options.logger.debug({ job_id: req.jobId, idempotency_key: req.idempotencyKey }, 'execution already exists for this trigger');
      return { executionId: null, created: false, execution: null };
    }
    if (!q) await this.enqueueMany([row], req.delayMs);
    return { executionId: row.id, created: true, execution: row };
  }

  /**
   * A trigger answered at once (webhook, manual): inserts the execution and enqueues it, unless
   * the job forbids overlap (allowConcurrent false) and an execution of it is in progress — then
   * nothing starts and that execution's id is returned. The check and the insert share one
   * transaction under a per-job lock, so two concurrent triggers cannot both pass. A failed
   * enqueue is only logged: the row is committed and the scheduler's recovery sweep enqueues it.
   */
  async dispatchUnlessActive(req: DispatchRequest): Promise<ExclusiveDispatchResult> {
    const { db, executions, logger } = this.options;
    if (!db) throw new Error('ExecutionDispatcher needs a Database for dispatchUnlessActive');
    const outcome: ExclusiveDispatchResult = req.allowConcurrent
      ? { started: true, execution: (await this.dispatch(req, db)).execution! }
      : await db.transaction(async (tx) => {
          await executions.lockJobTriggers(req.jobId, tx);
          const active = await executions.findActiveExecution(req.jobId, tx);
          if (active) return { started: false, activeExecutionId: active };
          return { started: true, execution: (await this.dispatch(req, tx)).execution! };
        });
    if (!outcome.started) return outcome;
    try {
      await this.enqueueMany([outcome.execution], req.delayMs);
    } catch (err) {
      logger.warn({ job_id: req.jobId, execution_id: outcome.execution.id, err }, 'execution stored but not enqueued yet');
    }
    return outcome;
  }

  /**
   * Inserts pending rows for many triggers in one statement (inside the caller's transaction);
   * returns the rows created — those whose idempotency key was taken are left out. Enqueue
   * them with `enqueueMany` after the transaction commits.
   */
  insertMany(reqs: DispatchRequest[], q?: Queryable): Promise<ExecutionRecord[]> {
    return this.options.executions.insertPendingMany(
      reqs.map((req) => {
        const id = randomUUID();
        return {
          id,
          job_id: req.jobId,
          idempotency_key: req.idempotencyKey ?? `${req.triggerSource}:${req.jobId}:${id}`,
          trigger_source: req.triggerSource,
          trigger_metadata: req.triggerMetadata ?? {},
          scheduled_for: req.scheduledFor ?? null,
          definition_version: req.definitionVersion,
          context_path: executionContextKey(req.jobId, id),
          exclusive: !req.allowConcurrent,
          replay_of: req.replayOf ?? null,
          resume_step: req.resumeStep ?? null,
        };
      }),
      q,
    );
  }

  /**
   * The resume path: a `running` execution is resumed at `fromStep` after `delayMs`, from its
   * saved context, by whichever worker takes the delayed Bull job (same queue) — no worker slot
   * is held meanwhile. One statement marks the row waiting (`worker_id` null, `next_attempt_at`,
   * `resume_step`; see `ExecutionsRepository.markWaiting`), then the delayed job is added. The
   * worker's resume claim is conditional (exactly one delivery resumes it); a stop during the
   * wait ends it `cancelled`; a lost Bull job is re-added by the scheduler's sweep
   * (`enqueueResumes`). Used by the worker for a retry and by recovery for an execution whose
   * worker died. Returns the waiting row, or null when it could not wait (not running, held by
   * another worker, or stopped).
   */
  async scheduleResume(executionId: string, fromStep: string, delayMs: number, options: ResumeOptions = {}): Promise<ExecutionRecord | null> {
    const row = await this.options.executions.markWaiting(executionId, {
      resumeStep: fromStep,
      delayMs,
      attempt: options.attempt,
      expectWorkerId: options.expectWorkerId,
      attempts: options.attempts,
    });
    if (!row) return null;
    await this.enqueueResumes([row]);
    this.options.logger.debug({ execution_id: executionId, resume_step: fromStep, delay_ms: delayMs }, 'execution resume scheduled');
    return row;
  }

  /**
   * Adds (again) the delayed resume jobs of waiting rows, each due at its `next_attempt_at`.
   * Re-adding one Bull still holds is a no-op (the jobId names the wait).
   */
  async enqueueResumes(rows: Pick<ExecutionRecord, 'id' | 'job_id' | 'next_attempt_at'>[]): Promise<void> {
    const waiting = rows.filter((r) => r.next_attempt_at);
    if (waiting.length === 0) return;
    const now = Date.now();
    await this.options.queue.addBulk(
      waiting.map((r) => ({
        data: { execution_id: r.id, job_id: r.job_id, resume: true, next_attempt_at: r.next_attempt_at!.getTime(), ...traceData() },
        opts: { ...executionJobOptions(r.id, r.next_attempt_at!.getTime() - now), jobId: resumeJobId(r.id, r.next_attempt_at!) },
      })),
    );
  }

  /** Removes the delayed resume job of a wait that was cancelled (best effort: a stale job finds nothing to resume). */
  async cancelResume(row: Pick<ExecutionRecord, 'id' | 'next_attempt_at'>): Promise<void> {
    if (!row.next_attempt_at) return;
    const job = await this.options.queue.getJob(resumeJobId(row.id, row.next_attempt_at));
    await job?.remove();
  }

  /**
   * Adds the rows' Bull jobs in one round trip, each delayed until its scheduled_for (or
   * `delayMs` when given). Re-adding an execution Bull still holds is a no-op.
   *
   * `prepareLeadMs` (scheduled fires): the job is delivered that much before its scheduled_for
   * and carries the instant (`due_at`) and the definition version. The worker reads the
   * definition meanwhile and claims the execution at the instant itself, so that only the claim
   * and the first step remain after it. The fires of one call are delivered one after another
   * (`deliverySpreadMs`), so that the workers share a burst.
   */
  async enqueueMany(rows: Pick<ExecutionRecord, 'id' | 'job_id' | 'scheduled_for' | 'definition_version'>[], delayMs?: number, prepareLeadMs = 0): Promise<void> {
    if (rows.length === 0) return;
    const now = Date.now();
    // The trigger's trace context travels with the job (nothing when tracing is off).
    const trace = traceData();
    await this.options.queue.addBulk(
      rows.map((r, i) => {
        const dueAt = delayMs === undefined && r.scheduled_for ? r.scheduled_for.getTime() : null;
        const ahead = dueAt !== null && prepareLeadMs > 0 && dueAt > now;
        const lead = ahead ? prepareLeadMs - deliverySpreadMs(i, rows.length, prepareLeadMs) : 0;
        return {
          data: { execution_id: r.id, job_id: r.job_id, definition_version: r.definition_version, ...(ahead ? { due_at: dueAt } : {}), ...trace },
          opts: executionJobOptions(r.id, delayMs ?? (dueAt === null ? 0 : Math.max(0, dueAt - now - lead))),
        };
      }),
    );
    this.options.logger.debug({ count: rows.length }, 'executions enqueued');
  }
}

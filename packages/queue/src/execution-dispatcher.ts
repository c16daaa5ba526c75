import { randomUUID } from 'crypto';
import { context, propagation } from '@opentelemetry/api';
import type { Queue } from 'bull';
import type { Logger } from 'pino';
import type { Database, ExecutionRecord, ExecutionsRepository, Queryable, TriggerSource } from '@vecron/db';
import { executionContextKey } from '@vecron/storage';
import { executionJobOptions, type ExecutionJobData } from './execution-queue';

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
        };
      }),
      q,
    );
  }

  /**
   * Adds the rows' Bull jobs in one round trip, each delayed until its scheduled_for (or
   * `delayMs` when given). Re-adding an execution Bull still holds is a no-op.
   */
  async enqueueMany(rows: Pick<ExecutionRecord, 'id' | 'job_id' | 'scheduled_for'>[], delayMs?: number): Promise<void> {
    if (rows.length === 0) return;
    const now = Date.now();
    // The trigger's trace context travels with the job (nothing when tracing is off).
    const trace: Record<string, string> = {};
    propagation.inject(context.active(), trace);
    await this.options.queue.addBulk(
      rows.map((r) => ({
        data: { execution_id: r.id, job_id: r.job_id, ...(trace.traceparent ? { trace } : {}) },
        opts: executionJobOptions(r.id, delayMs ?? (r.scheduled_for ? r.scheduled_for.getTime() - now : 0)),
      })),
    );
    this.options.logger.debug({ count: rows.length }, 'executions enqueued');
  }
}

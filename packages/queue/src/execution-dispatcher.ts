import { randomUUID } from 'crypto';
import type { Queue } from 'bull';
import type { Logger } from 'pino';
import type { ExecutionRecord, ExecutionsRepository, Queryable, TriggerSource } from '@vecron/db';
import { executionContextKey } from '@vecron/storage';
import { enqueueExecution, type ExecutionJobData } from './execution-queue';

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

export interface ExecutionDispatcherOptions {
  executions: ExecutionsRepository;
  queue: Queue<ExecutionJobData>;
  logger: Logger;
}

/**
 * The one way an execution starts (invariant 1): insert the pending row with its unique
 * idempotency key, then enqueue a Bull job whose jobId is the execution id. A crash between
 * the two leaves a pending row that `requeue` puts back on the queue.
 */
export class ExecutionDispatcher {
  constructor(private readonly options: ExecutionDispatcherOptions) {}

  async dispatch(req: DispatchRequest, q?: Queryable): Promise<DispatchResult> {
    const id = randomUUID();
    const row = await this.options.executions.insertPending(
      {
        id,
        job_id: req.jobId,
        idempotency_key: req.idempotencyKey ?? `${req.triggerSource}:${req.jobId}:${id}`,
        trigger_source: req.triggerSource,
        trigger_metadata: req.triggerMetadata ?? {},
        scheduled_for: req.scheduledFor ?? null,
        definition_version: req.definitionVersion,
        context_path: executionContextKey(req.jobId, id),
        exclusive: !req.allowConcurrent,
      },
      q,
    );
    if (!row) {
      this.options.logger.debug({ job_id: req.jobId, idempotency_key: req.idempotencyKey }, 'execution already exists for this trigger');
      return { executionId: null, created: false, execution: null };
    }
    if (!q) await this.enqueue(row, req.delayMs ?? 0);
    return { executionId: row.id, created: true, execution: row };
  }

  /** Enqueues a row created inside a caller's transaction, after that transaction committed. */
  async enqueue(row: Pick<ExecutionRecord, 'id' | 'job_id'>, delayMs = 0): Promise<void> {
    await enqueueExecution(this.options.queue, { execution_id: row.id, job_id: row.job_id }, delayMs);
    this.options.logger.debug({ job_id: row.job_id, execution_id: row.id, delay_ms: delayMs }, 'execution enqueued');
  }
}

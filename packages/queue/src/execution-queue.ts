import type { JobOptions, QueueOptions } from 'bull';

/** Name of the Bull queue that carries executions from triggers to workers. */
export const EXECUTIONS_QUEUE = 'executions';

/** The payload of one Bull job: which execution to run. The Bull jobId is the execution id. */
export interface ExecutionJobData {
  execution_id: string;
  job_id: string;
  /**
   * W3C trace context (`traceparent`, `tracestate`) of the trigger that enqueued it (the api's
   * request span), when tracing is on: the worker's execution span is its child.
   */
  trace?: Record<string, string>;
  /**
   * A resume: the execution is `running` and waits (`next_attempt_at` set); the worker takes it
   * with a conditional resume claim and continues at its `resume_step` from the saved context.
   */
  resume?: boolean;
  /** A resume: the wait it was scheduled for (epoch ms of `next_attempt_at`); a later wait is not taken by it. */
  next_attempt_at?: number;
  /**
   * A scheduled fire delivered ahead of its due instant (epoch ms; `SCHEDULER_PREPARE_LEAD_MS`):
   * the worker prepares it (reads the definition) and claims it at this instant, not before.
   */
  due_at?: number;
  /** The definition version the execution runs (lets the worker read it before the claim). */
  definition_version?: number;
}

/**
 * The Bull jobId of a resume: one per scheduled wait (its `next_attempt_at`), so that re-adding
 * the same resume (a recovery sweep) is a no-op and a later wait gets a job of its own.
 */
export function resumeJobId(executionId: string, nextAttemptAt: Date): string {
  return `${executionId}:resume:${nextAttemptAt.getTime()}`;
}

/** Bull options shared by every producer and consumer of the executions queue. */
export function executionQueueOptions(redisUrl: string, prefix: string): QueueOptions {
  return {
    redis: redisUrl,
    prefix,
    settings: { lockDuration: 30_000, stalledInterval: 30_000, maxStalledCount: 1 },
  };
}

/** Options of one execution's Bull job: never retried by Bull (the worker decides retries per step). */
export function executionJobOptions(executionId: string, delayMs: number): JobOptions {
  return {
    jobId: executionId,
    delay: Math.max(0, Math.round(delayMs)),
    attempts: 1,
    removeOnComplete: true,
    removeOnFail: 1000,
  };
}

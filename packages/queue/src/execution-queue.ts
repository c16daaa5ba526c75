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

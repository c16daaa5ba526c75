import type { Logger } from 'pino';
import type { ExecutionError, ExecutionRecord, ExecutionStatus } from '@vecron/db';
import type { JobDefinition } from '@vecron/definitions';

/** An execution begins its steps (after the claim and the definition load). */
export interface ExecutionStartEvent {
  execution: ExecutionRecord;
  definition: JobDefinition;
  /** The execution's logger (job_id, execution_id; masking its secrets). */
  log: Logger;
  /** A resume of this execution (after a retry wait or a lost worker), not its first run. */
  resumed: boolean;
}

/** An execution ended (its row is finished). */
export interface ExecutionEndEvent {
  execution: ExecutionRecord;
  status: ExecutionStatus;
  error: ExecutionError | null;
  /** Claim to end, from the row; null when unknown. */
  durationMs: number | null;
  log: Logger;
}

/** An execution left this worker waiting for a retry (resumed later, possibly elsewhere). */
export interface ExecutionWaitEvent {
  execution: ExecutionRecord;
  log: Logger;
}

/**
 * What the runner tells observability (metrics, traces, log capture, alerts) about an execution.
 * Calls are synchronous and never throw: anything slow (writing logs, deciding and sending alerts)
 * happens later, off the execution's path. Steps are observed by wrapping the executors
 * (`observeExecutors`), so the step loop itself has no hook.
 */
export interface ExecutionObserver {
  executionStarted(event: ExecutionStartEvent): void;
  executionFinished(event: ExecutionEndEvent): void;
  /** The run paused for a delayed retry: its span and captured lines so far are closed; no outcome yet. */
  executionWaiting(event: ExecutionWaitEvent): void;
  /** Resolves when everything observed so far is stored (logs written, alerts decided and sent). */
  flush(): Promise<void>;
}

/** The observer when none is wired (tests that build the runner by hand). */
export const NO_EXECUTION_OBSERVER: ExecutionObserver = {
  executionStarted: () => undefined,
  executionFinished: () => undefined,
  executionWaiting: () => undefined,
  flush: async () => undefined,
};

/** Injection token of the worker's ExecutionObserver. */
export const EXECUTION_OBSERVER = Symbol('EXECUTION_OBSERVER');

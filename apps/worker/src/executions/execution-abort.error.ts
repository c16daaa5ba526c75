import type { ExecutionStatus } from '@vecron/db';

/** Why an execution's signal was aborted. */
export type AbortCause = 'timeout' | 'shutdown' | 'cancelled';

/**
 * The reason an execution's AbortSignal carries: its timeout, the worker's shutdown, or a stop
 * asked through the api (`cancelled`, message `stopped by <who> at <time>`).
 */
export class ExecutionAbort extends Error {
  constructor(public readonly abortCause: AbortCause, message: string) {
    super(message);
    this.name = 'ExecutionAbort';
  }

  /** The terminal status an execution aborted this way ends in. */
  get status(): ExecutionStatus {
    if (this.abortCause === 'timeout') return 'timeout';
    return this.abortCause === 'cancelled' ? 'cancelled' : 'failed';
  }

  /** The execution error's code, when the cause has one of its own (a stop: CANCELLED). */
  get code(): string | undefined {
    return this.abortCause === 'cancelled' ? 'CANCELLED' : undefined;
  }
}

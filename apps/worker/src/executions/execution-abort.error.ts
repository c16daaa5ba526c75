import type { ExecutionStatus } from '@vecron/db';

/** Why an execution's signal was aborted. */
export type AbortCause = 'timeout' | 'shutdown';

/** The reason an execution's AbortSignal carries: its timeout or the worker's shutdown. */
export class ExecutionAbort extends Error {
  constructor(public readonly abortCause: AbortCause, message: string) {
    super(message);
    this.name = 'ExecutionAbort';
  }

  /** The terminal status an execution aborted this way ends in. */
  get status(): ExecutionStatus {
    return this.abortCause === 'timeout' ? 'timeout' : 'failed';
  }
}

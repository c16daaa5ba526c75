import type { ExecutionStatus } from '@vecron/db';
import { ConflictError } from '../errors/app-errors';

/** 409: the job forbids overlap (allow_concurrent false) and this execution of it is in progress. */
export class ExecutionInProgressError extends ConflictError {
  constructor(readonly executionId: string) {
    super('an execution of this job is in progress and the job does not allow concurrent runs');
    this.fields.execution_id = executionId;
  }
}

/** 409: a stop of an execution that has already finished. */
export class ExecutionAlreadyFinishedError extends ConflictError {
  constructor(readonly executionId: string, readonly executionStatus: ExecutionStatus) {
    super(`execution ${executionId} is already ${executionStatus}`);
    this.fields.execution_id = executionId;
  }
}

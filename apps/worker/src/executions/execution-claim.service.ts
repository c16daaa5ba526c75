import type { Logger } from 'pino';
import { ConcurrentRunError, type ClaimedExecution, type ExecutionRecord, type ExecutionsRepository, type JobsRepository, type ResolvedVariables, type VariablesRepository } from '@vecron/db';

/** What became of a delivery's claim. */
export type ClaimOutcome =
  /** This worker runs it; the variables as they were at the claim (an Error fails the execution). */
  | { claimed: true; execution: ExecutionRecord; variables: ResolvedVariables | Error }
  /** Not run: claimed by another delivery, already finished, or skipped because of an overlapping run. */
  | { claimed: false; skipped: boolean };

/**
 * pending → running, once. The claim and the variables are read in one statement (one round
 * trip, one snapshot): a variable changed once the execution shows `running` applies to the
 * next one. A duplicate delivery (Bull stalled-job recovery, two workers) finds the execution
 * taken and does nothing. With allow_concurrent=false and another run of the job in flight the
 * execution ends `cancelled` (CONCURRENT_RUN) and a scheduled fire is recorded as skipped.
 */
export class ExecutionClaimService {
  constructor(
    private readonly executions: ExecutionsRepository,
    private readonly jobs: JobsRepository,
    private readonly variables: VariablesRepository,
    private readonly logger: Logger,
  ) {}

  async claim(executionId: string, workerId: string): Promise<ClaimOutcome> {
    let claimed: ClaimedExecution | null;
    try {
      claimed = await this.executions.claimWithVariables(executionId, workerId);
    } catch (err) {
      if (!(err instanceof ConcurrentRunError)) throw err;
      return { claimed: false, skipped: await this.skipOverlap(err) };
    }
    if (!claimed) {
      this.logger.info({ execution_id: executionId }, 'execution already claimed or finished; delivery ignored');
      return { claimed: false, skipped: false };
    }
    return this.withVariables(claimed);
  }

  private withVariables(claimed: ClaimedExecution): ClaimOutcome {
    let variables: ResolvedVariables | Error;
    try {
      variables = this.variables.resolve(claimed.variables);
    } catch (err) {
      // A value that cannot be decrypted fails this execution, not the claim.
      variables = err as Error;
    }
    return { claimed: true, execution: claimed.execution, variables };
  }

  /**
   * The resume of a waiting `running` execution: conditional (one delivery wins), with the
   * variables as they are now. Never an overlap skip: the execution already holds its job's slot.
   */
  async claimResume(executionId: string, workerId: string): Promise<ClaimOutcome> {
    const claimed = await this.executions.claimResumeWithVariables(executionId, workerId);
    if (!claimed) {
      this.logger.info({ execution_id: executionId }, 'execution not waiting any more (resumed, stopped or finished); resume ignored');
      return { claimed: false, skipped: false };
    }
    return this.withVariables(claimed);
  }

  /** allow_concurrent=false and another run of the job is in flight: this one does not run. Returns whether it was ended here. */
  private async skipOverlap(err: ConcurrentRunError): Promise<boolean> {
    const row = await this.executions.finish(err.executionId, 'cancelled', { message: `skipped: ${err.message}`, code: 'CONCURRENT_RUN' });
    if (row?.trigger_source === 'scheduled' && row.scheduled_for) {
      await this.jobs.recordSkips([{ job_id: row.job_id, fire_time: row.scheduled_for, reason: 'previous_execution_still_running' }]);
    }
    this.logger.info({ job_id: row?.job_id, execution_id: err.executionId }, 'execution skipped: previous execution still running');
    return row !== null;
  }
}

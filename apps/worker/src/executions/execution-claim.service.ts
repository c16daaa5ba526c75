import type { Logger } from 'pino';
import {
  ConcurrentRunError,
  type ClaimedExecution,
  type ExecutionRecord,
  type ExecutionsRepository,
  type ExecutionWaitsRepository,
  type JobsRepository,
  type ResolvedVariables,
  type VariablesRepository,
} from '@vecron/db';
import type { JobDefinition } from '@vecron/definitions';
import { ClaimBatcher } from './claim.batcher';
import type { ExecutionWaitService } from './execution-wait.service';

type ClaimAttempt =
  | { kind: 'claimed'; claimed: ClaimedExecution }
  | { kind: 'gone' }
  | { kind: 'overlap'; error: ConcurrentRunError }
  | { kind: 'limited' };

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
 * execution follows the job's overlap_policy (ExecutionWaitService; without it: ends `cancelled`,
 * CONCURRENT_RUN, a scheduled fire recorded as skipped). A job with a max_concurrent limit is
 * claimed under its per-job lock; one over the limit waits (stays pending, no slot held).
 */
export class ExecutionClaimService {
  /** Claims asked for together share one statement (group commit). */
  private readonly batcher: ClaimBatcher;

  constructor(
    private readonly executions: ExecutionsRepository,
    private readonly jobs: JobsRepository,
    private readonly variables: VariablesRepository,
    private readonly logger: Logger,
    /** Overlap policies and max_concurrent (without them: skip on overlap, no limit). */
    private readonly waits?: ExecutionWaitService,
    private readonly waitsRepo?: ExecutionWaitsRepository,
  ) {
    this.batcher = new ClaimBatcher(executions);
  }

  /**
   * `currentStep`: the step the run starts with, when the definition is known before the claim;
   * recorded by the claim itself (no separate `current_step` write before the first step).
   */
  async claim(executionId: string, workerId: string, currentStep: string | null = null): Promise<ClaimOutcome> {
    let attempt = await this.tryClaim(executionId, workerId, currentStep);
    if (attempt.kind === 'overlap') {
      if (!this.waits) return { claimed: false, skipped: await this.skipOverlap(attempt.error) };
      const outcome = await this.waits.onOverlap(executionId);
      if (outcome !== 'waiting') return { claimed: false, skipped: outcome === 'skipped' };
    }
    if (attempt.kind === 'overlap' || attempt.kind === 'limited') {
      // Marked waiting: one more try closes the race with a run that ended before the mark
      // (its wake-up could not see this execution); otherwise wait for a wake-up or the re-check.
      attempt = await this.tryClaim(executionId, workerId, currentStep);
      if (attempt.kind === 'overlap' || attempt.kind === 'limited') {
        const row = await this.executions.findById(executionId);
        if (row?.status === 'pending') await this.waits?.scheduleRecheck(executionId, row.job_id);
        this.logger.info({ job_id: row?.job_id, execution_id: executionId, waiting_for: attempt.kind === 'limited' ? 'max_concurrent' : 'overlap' }, 'execution waits');
        return { claimed: false, skipped: false };
      }
    }
    if (attempt.kind === 'gone') {
      this.logger.info({ execution_id: executionId }, 'execution already claimed or finished; delivery ignored');
      return { claimed: false, skipped: false };
    }
    return this.withVariables(attempt.claimed);
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
  async claimResume(executionId: string, workerId: string, nextAttemptAt: Date | null = null): Promise<ClaimOutcome> {
    const claimed = await this.executions.claimResumeWithVariables(executionId, workerId, undefined, nextAttemptAt);
    if (!claimed) {
      this.logger.info({ execution_id: executionId }, 'execution not waiting any more (resumed, stopped or finished); resume ignored');
      return { claimed: false, skipped: false };
    }
    return this.withVariables(claimed);
  }

  /** A run of the job ended: wakes its waiting executions (overlap queue, max_concurrent). */
  async afterFinish(execution: Pick<ExecutionRecord, 'id' | 'job_id'>, definition: JobDefinition): Promise<void> {
    await this.waits?.afterFinish(execution, definition).catch((err: unknown) =>
      this.logger.warn({ job_id: execution.job_id, execution_id: execution.id, err: (err as Error).message }, 'waiting executions not woken (their re-check will run them)'),
    );
  }

  /** One claim: the one-statement claim, or for a job with a max_concurrent limit the locked claim. */
  private async tryClaim(executionId: string, workerId: string, currentStep: string | null): Promise<ClaimAttempt> {
    try {
      const claimed = await this.batcher.claim(executionId, workerId, currentStep);
      if (claimed) return { kind: 'claimed', claimed };
      if (!this.waits) return { kind: 'gone' };
      // Null: not pending any more, or the job has a max_concurrent limit (claimed under its lock).
      const limited = await this.waitsRepo!.claimLimited(executionId, workerId);
      if (limited.outcome === 'claimed') return { kind: 'claimed', claimed: limited.claimed };
      return { kind: limited.outcome === 'waiting' ? 'limited' : 'gone' };
    } catch (err) {
      if (!(err instanceof ConcurrentRunError)) throw err;
      return { kind: 'overlap', error: err };
    }
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

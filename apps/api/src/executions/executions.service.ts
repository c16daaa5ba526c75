import { Inject, Injectable, Logger } from '@nestjs/common';
import { ExecutionsRepository, type ExecutionRecord, type ExecutionStatus } from '@vecron/db';
import { ExecutionDispatcher } from '@vecron/queue';
import { OBJECT_STORAGE, ObjectNotFoundError, type ObjectStorage } from '@vecron/storage';
import type { AuthUser } from '../auth/auth-user';
import { SEE_ALL_EXECUTIONS } from '../auth/permissions';
import { ConflictError, NotFoundError } from '../errors/app-errors';
import type { ReplayExecutionResponse, ReplayFrom } from './dto/replay-execution.dto';
import type { StopExecutionResponse } from './dto/stop-execution.response';
import { ExecutionAlreadyFinishedError, ExecutionInProgressError } from './execution.errors';
import { ExecutionStopPublisher } from './execution-stop.publisher';
import { JobsService } from '../jobs/jobs.service';
import type { ListExecutionsQuery } from './dto/list-executions.query';
import { presentExecution, type ExecutionView, type StepSummary } from './execution.presenter';

/** Statuses an execution never leaves (invariant 2). */
const TERMINAL_STATUSES: readonly ExecutionStatus[] = ['success', 'failed', 'timeout', 'cancelled', 'dead_letter'];

/** Who a stop is recorded as coming from (the user's id is recorded beside it). */
const STOP_REQUESTER = 'api';

interface StoredContext {
  steps?: Record<string, { status: string; started_at?: string; completed_at?: string; error?: unknown }>;
}

@Injectable()
export class ExecutionsService {
  private readonly logger = new Logger(ExecutionsService.name);

  constructor(
    private readonly executions: ExecutionsRepository,
    private readonly jobs: JobsService,
    private readonly dispatcher: ExecutionDispatcher,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly stopPublisher: ExecutionStopPublisher,
  ) {}

  /**
   * Manual trigger: 404 for an unknown job, 409 when the job is disabled or manual runs are off,
   * and 409 with the execution's id when the job forbids overlap and one is in progress.
   */
  async triggerManual(jobId: string, payload: unknown, user: AuthUser): Promise<{ execution_id: string }> {
    const job = await this.jobs.require(jobId);
    if (!job.enabled) throw new ConflictError(`job ${jobId} is disabled`);
    if (!job.manual_trigger) throw new ConflictError(`job ${jobId} does not allow manual triggers`);
    const outcome = await this.dispatcher.dispatchUnlessActive({
      jobId,
      definitionVersion: job.current_version,
      allowConcurrent: job.allow_concurrent,
      triggerSource: 'manual',
      // A manual run may carry a payload; steps read it like a webhook's ({{webhook.payload.…}}).
      triggerMetadata: payload === undefined ? {} : { webhook: { payload, query_params: {}, headers: {} } },
    });
    if (!outcome.started) throw new ExecutionInProgressError(outcome.activeExecutionId);
    await this.executions.setTriggeredBy(outcome.execution.id, user.id);
    this.logger.log({ job_id: jobId, execution_id: outcome.execution.id }, 'manual trigger');
    return { execution_id: outcome.execution.id };
  }

  /**
   * Stops an execution: a pending one is cancelled at once; a running one is flagged and the
   * worker holding it told over Redis (it ends `cancelled` within seconds). 404 for an unknown
   * id, 409 when it has already finished.
   */
  async stop(id: string, user: AuthUser): Promise<StopExecutionResponse> {
    await this.require(id, user);
    const result = await this.executions.requestStop(id, { by: STOP_REQUESTER, userId: uuidOrNull(user.id) });
    if (result.outcome === 'not_found') throw new NotFoundError(`execution ${id} not found`);
    if (result.outcome === 'finished') throw new ExecutionAlreadyFinishedError(id, result.status);
    const e = result.execution;
    if (result.outcome === 'running') {
      try {
        const receivers = await this.stopPublisher.publish(e);
        this.logger.log({ job_id: e.job_id, execution_id: id, receivers }, 'stop announced to the workers');
      } catch (err) {
        // The flag is on the row: the worker sees it between steps and at its next heartbeat.
        this.logger.warn({ job_id: e.job_id, execution_id: id, err }, 'stop not announced (redis); the worker will see the flag');
      }
    } else {
      this.logger.log({ job_id: e.job_id, execution_id: id }, e.next_attempt_at ? 'execution waiting for a retry cancelled' : 'pending execution cancelled');
      // Its delayed resume would find nothing to do; removed so that it does not linger.
      if (e.next_attempt_at) await this.dispatcher.cancelResume(e).catch((err: unknown) => this.logger.warn({ execution_id: id, err }, 'delayed resume not removed'));
    }
    return {
      execution_id: id,
      status: result.outcome === 'cancelled' ? 'cancelled' : 'stopping',
      cancel_requested_at: e.cancel_requested_at!.toISOString(),
      cancel_requested_by: e.cancel_requested_by ?? STOP_REQUESTER,
      cancel_requested_by_user_id: e.cancel_requested_by_user_id,
    };
  }

  /**
   * Replays a finished execution as a new one (`trigger_source` replay, `replay_of` = the
   * original), running the definition version the original ran. From `failed_step`: the new run
   * starts at the step the original failed at, with the original's context (outputs, files,
   * webhook data) of the steps before it; from `start`: every step again. Like a manual trigger
   * it follows the job's allow_concurrent rule (409 with the execution in progress). 404 unknown
   * execution, 409 when the original is not finished, has no failed step (from failed_step) or
   * its job is disabled.
   */
  async replay(id: string, from: ReplayFrom, user: AuthUser): Promise<ReplayExecutionResponse> {
    const original = await this.require(id, user);
    if (!TERMINAL_STATUSES.includes(original.status)) {
      const err = new ConflictError(`execution ${id} is ${original.status}: only a finished execution can be replayed`);
      err.fields.execution_id = id;
      throw err;
    }
    const resumeStep = from === 'failed_step' ? (original.error?.step_id ?? null) : null;
    if (from === 'failed_step' && !resumeStep) {
      throw new ConflictError(`execution ${id} (${original.status}) has no failed step: replay it from the start`);
    }
    const job = await this.jobs.require(original.job_id);
    if (!job.enabled) throw new ConflictError(`job ${job.id} is disabled`);
    const webhook = original.trigger_metadata.webhook;
    const outcome = await this.dispatcher.dispatchUnlessActive({
      jobId: job.id,
      definitionVersion: original.definition_version,
      allowConcurrent: job.allow_concurrent,
      triggerSource: 'replay',
      triggerMetadata: { ...(webhook === undefined ? {} : { webhook }), replay: { of: id, from, step_id: resumeStep } },
      replayOf: id,
      resumeStep,
    });
    if (!outcome.started) throw new ExecutionInProgressError(outcome.activeExecutionId);
    await this.executions.setTriggeredBy(outcome.execution.id, user.id);
    this.logger.log({ job_id: job.id, execution_id: outcome.execution.id, replay_of: id, from }, 'execution replayed');
    return { execution_id: outcome.execution.id, replay_of: id, from, resume_step: resumeStep };
  }

  /** Without `job:write` a caller sees only the executions they triggered. */
  async list(q: ListExecutionsQuery, user: AuthUser): Promise<{ items: ExecutionView[]; total: number; page: number; page_size: number }> {
    const { items, total } = await this.executions.list({
      triggeredBy: user.permissions.includes(SEE_ALL_EXECUTIONS) ? undefined : user.id,
      jobId: q.job_id, status: q.status, triggerSource: q.trigger_source, from: q.from, to: q.to, page: q.page, pageSize: q.page_size,
    });
    return { items: items.map((e) => presentExecution(e)), total, page: q.page, page_size: q.page_size };
  }

  async get(id: string, user: AuthUser): Promise<ExecutionView> {
    const e = await this.require(id, user);
    const ctx = await this.readContext(e);
    const steps: StepSummary[] = Object.entries(ctx?.steps ?? {}).map(([stepId, s]) => ({
      step_id: stepId,
      status: s.status,
      ...(s.started_at ? { started_at: s.started_at } : {}),
      ...(s.completed_at ? { completed_at: s.completed_at } : {}),
      ...(s.error ? { error: s.error } : {}),
    }));
    return presentExecution(e, steps, await this.executions.listAttempts(id));
  }

  async getContext(id: string, user: AuthUser): Promise<unknown> {
    const e = await this.require(id, user);
    const ctx = await this.readContext(e);
    if (!ctx) throw new NotFoundError(`execution ${id} has no stored context yet (status ${e.status})`);
    return ctx;
  }

  /** An execution the caller may not see is a 404, like one that does not exist. */
  private async require(id: string, user: AuthUser): Promise<ExecutionRecord> {
    const e = await this.executions.findById(id);
    if (!e || (!user.permissions.includes(SEE_ALL_EXECUTIONS) && e.triggered_by !== user.id)) throw new NotFoundError(`execution ${id} not found`);
    return e;
  }

  private async readContext(e: ExecutionRecord): Promise<StoredContext | null> {
    if (!e.context_path) return null;
    try {
      return JSON.parse((await this.storage.get(e.context_path)).toString('utf8')) as StoredContext;
    } catch (err) {
      if (err instanceof ObjectNotFoundError) return null;
      throw err;
    }
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** cancel_requested_by_user_id is a uuid column: a Keycloak subject that is not one is left out. */
function uuidOrNull(id: string): string | null {
  return UUID.test(id) ? id : null;
}

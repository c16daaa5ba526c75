import { Inject, Injectable, Logger } from '@nestjs/common';
import { ExecutionsRepository, type ExecutionRecord } from '@vecron/db';
import { ExecutionDispatcher } from '@vecron/queue';
import { OBJECT_STORAGE, ObjectNotFoundError, type ObjectStorage } from '@vecron/storage';
import { ConflictError, NotFoundError } from '../errors/app-errors';
import { JobsService } from '../jobs/jobs.service';
import type { ListExecutionsQuery } from './dto/list-executions.query';
import { presentExecution, type ExecutionView, type StepSummary } from './execution.presenter';

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
  ) {}

  /** Manual trigger: 404 for an unknown job, 409 when the job is disabled or manual runs are off. */
  async triggerManual(jobId: string, payload?: unknown): Promise<{ execution_id: string }> {
    const job = await this.jobs.require(jobId);
    if (!job.enabled) throw new ConflictError(`job ${jobId} is disabled`);
    if (!job.manual_trigger) throw new ConflictError(`job ${jobId} does not allow manual triggers`);
    const result = await this.dispatcher.dispatch({
      jobId,
      definitionVersion: job.current_version,
      allowConcurrent: job.allow_concurrent,
      triggerSource: 'manual',
      // A manual run may carry a payload; steps read it like a webhook's ({{webhook.payload.…}}).
      triggerMetadata: payload === undefined ? {} : { webhook: { payload, query_params: {}, headers: {} } },
    });
    this.logger.log({ job_id: jobId, execution_id: result.executionId }, 'manual trigger');
    return { execution_id: result.executionId! };
  }

  async list(q: ListExecutionsQuery): Promise<{ items: ExecutionView[]; total: number; page: number; page_size: number }> {
    const { items, total } = await this.executions.list({
      jobId: q.job_id, status: q.status, triggerSource: q.trigger_source, from: q.from, to: q.to, page: q.page, pageSize: q.page_size,
    });
    return { items: items.map((e) => presentExecution(e)), total, page: q.page, page_size: q.page_size };
  }

  async get(id: string): Promise<ExecutionView> {
    const e = await this.require(id);
    const ctx = await this.readContext(e);
    const steps: StepSummary[] = Object.entries(ctx?.steps ?? {}).map(([stepId, s]) => ({
      step_id: stepId,
      status: s.status,
      ...(s.started_at ? { started_at: s.started_at } : {}),
      ...(s.completed_at ? { completed_at: s.completed_at } : {}),
      ...(s.error ? { error: s.error } : {}),
    }));
    return presentExecution(e, steps);
  }

  async getContext(id: string): Promise<unknown> {
    const e = await this.require(id);
    const ctx = await this.readContext(e);
    if (!ctx) throw new NotFoundError(`execution ${id} has no stored context yet (status ${e.status})`);
    return ctx;
  }

  private async require(id: string): Promise<ExecutionRecord> {
    const e = await this.executions.findById(id);
    if (!e) throw new NotFoundError(`execution ${id} not found`);
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

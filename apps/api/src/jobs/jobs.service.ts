import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'crypto';
import { Database, JobsRepository, type JobMetadata, type JobRecord, type Queryable } from '@vecron/db';
import { nextFireTime, readJobDefinition, type JobDefinition, type ValidationIssue } from '@vecron/definitions';
import type { ExecutorRegistry } from '@vecron/executors';
import { OBJECT_STORAGE, jobDefinitionKey, jobDefinitionVersionKey, jobPrefix, type ObjectStorage } from '@vecron/storage';
import type { AuthUser } from '../auth/auth-user';
import { ConflictError, NotFoundError, RequestValidationError } from '../errors/app-errors';
import type { ListJobsQuery } from './dto/list-jobs.query';
import { WebhooksService } from '../webhooks/webhooks.service';
import { presentJob, type JobView } from './job.presenter';
import { asStepTypeCatalog, InjectStepTypes } from './step-types';

/** Steps of an import inside a job's create transaction (JobsService.create). */
export interface CreateJobHooks {
  before?: (definition: JobDefinition, tx: Queryable) => Promise<void>;
  after?: (jobId: string, tx: Queryable) => Promise<void>;
}

/** The answer of a create or update: the job, and `warnings` when the legacy dialect was converted. */
function withWarnings(view: JobView, warnings: ValidationIssue[]): JobView {
  return warnings.length > 0 ? { ...view, warnings } : view;
}

/**
 * Jobs: metadata in PostgreSQL, definitions in object storage
 * (`jobs/{id}/definition.json` = latest, `jobs/{id}/versions/{n}.json` = every version).
 * The row's current_version is the source of truth; the definition is read from its version key.
 */
@Injectable()
export class JobsService {
  private readonly logger = new Logger(JobsService.name);

  constructor(
    private readonly db: Database,
    private readonly jobs: JobsRepository,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @InjectStepTypes() private readonly stepTypes: ExecutorRegistry,
    private readonly webhooks: WebhooksService,
  ) {}

  /**
   * The definition with defaults, or RequestValidationError (400) listing every problem by JSON
   * path. The legacy dialect is converted first; what was read differently is pushed to `warnings`.
   */
  validate(raw: unknown, now = new Date(), warnings: ValidationIssue[] = []): JobDefinition {
    const result = readJobDefinition(raw, asStepTypeCatalog(this.stepTypes));
    warnings.push(...result.warnings);
    if (!result.ok) throw new RequestValidationError(result.errors, 'invalid job definition');
    const d = result.definition;
    if (d.schedule?.type === 'one_time' && d.triggers.scheduled && nextFireTime(d.schedule, { after: now }) === null) {
      throw new RequestValidationError([{ path: 'schedule.execute_at', message: 'must be in the future' }], 'invalid job definition');
    }
    return d;
  }

  /**
   * Creates a job. `hooks.before` runs first in the job's transaction (import: lock and check the
   * name), `hooks.after` once the row exists (import: the job's variables), so that the job, its
   * definition objects and what the hooks write exist together or not at all.
   */
  async create(raw: unknown, user: AuthUser, hooks: CreateJobHooks = {}): Promise<JobView> {
    const warnings: ValidationIssue[] = [];
    // The webhook secret is kept out of the stored definition (encrypted in PostgreSQL instead).
    const { definition, plan } = this.webhooks.prepare(raw, (r) => this.validate(r, new Date(), warnings));
    const id = randomUUID();
    const body = JSON.stringify(definition, null, 2);
    try {
      // The row only commits after both objects are stored: a storage failure leaves no row.
      const { job, webhook } = await this.db.transaction(async (tx) => {
        await hooks.before?.(definition, tx);
        const inserted = await this.jobs.insert(id, this.metadata(id, definition, new Date()), tx);
        await this.jobs.setAuthor(id, user.id, true, tx);
        const row = { ...inserted, created_by: user.id, updated_by: user.id };
        await hooks.after?.(id, tx);
        const hook = await this.webhooks.save(id, plan, row.webhook_enabled, tx);
        await this.storage.put(jobDefinitionVersionKey(id, 1), body, { contentType: 'application/json' });
        await this.storage.put(jobDefinitionKey(id), body, { contentType: 'application/json' });
        return { job: row, webhook: hook };
      });
      this.logger.log({ job_id: id }, 'job created');
      return withWarnings(presentJob(job, definition, webhook), warnings);
    } catch (err) {
      // No row points at these objects; remove them so nothing orphaned is left behind.
      await this.storage.deletePrefix(jobPrefix(id)).catch(() => undefined);
      throw err;
    }
  }

  async list(q: ListJobsQuery): Promise<{ items: JobView[]; total: number; page: number; page_size: number }> {
    const { items, total } = await this.jobs.list({ name: q.name, enabled: q.enabled, page: q.page, pageSize: q.page_size });
    return { items: items.map((j) => presentJob(j)), total, page: q.page, page_size: q.page_size };
  }

  async get(id: string): Promise<JobView> {
    const job = await this.require(id);
    return presentJob(job, this.webhooks.redact(await this.readDefinition(job)), await this.webhooks.describe(job));
  }

  /** Stores a new version; the previous versions stay readable for executions that ran them. */
  async update(id: string, raw: unknown, user: AuthUser): Promise<JobView> {
    const current = await this.require(id);
    const warnings: ValidationIssue[] = [];
    const { definition, plan } = this.webhooks.prepare(raw, (r) => this.validate(r, new Date(), warnings));
    const version = current.current_version + 1;
    const body = JSON.stringify(definition, null, 2);
    // A new version key never overwrites anything; it only becomes current when the row commits.
    await this.storage.put(jobDefinitionVersionKey(id, version), body, { contentType: 'application/json' });
    const { job, webhook } = await this.db.transaction(async (tx) => {
      const updated = await this.jobs.updateVersion(id, current.current_version, this.metadata(id, definition, new Date()), tx);
      if (!updated) throw new ConflictError(`job ${id} was changed or deleted concurrently; reload and retry`);
      await this.jobs.setAuthor(id, user.id, false, tx);
      const row = { ...updated, updated_by: user.id };
      const hook = await this.webhooks.save(id, plan, row.webhook_enabled, tx);
      await this.storage.put(jobDefinitionKey(id), body, { contentType: 'application/json' });
      return { job: row, webhook: hook };
    });
    this.logger.log({ job_id: id, version }, 'job updated');
    return withWarnings(presentJob(job, definition, webhook), warnings);
  }

  async remove(id: string): Promise<void> {
    if (!(await this.jobs.softDelete(id))) throw new NotFoundError(`job ${id} not found`);
    this.logger.log({ job_id: id }, 'job deleted');
  }

  async setEnabled(id: string, enabled: boolean, user: AuthUser): Promise<JobView> {
    const job = await this.require(id);
    let next: Date | null = job.next_run_at;
    if (enabled && !job.enabled) {
      // Re-enabled: the next due time counts from the last handled fire, so the scheduler
      // applies the job's misfire policy to whatever was missed while disabled.
      const definition = await this.readDefinition(job);
      const from = job.last_fire_time ?? job.updated_at;
      next = definition.schedule && definition.triggers.scheduled ? nextFireTime(definition.schedule, { after: from, createdAt: job.last_fire_time ?? job.created_at }) : null;
    }
    const changed = await this.jobs.setEnabled(id, enabled, next);
    if (!changed) throw new NotFoundError(`job ${id} not found`);
    await this.jobs.setAuthor(id, user.id, false);
    const row = { ...changed, updated_by: user.id };
    this.logger.log({ job_id: id }, enabled ? 'job enabled' : 'job disabled');
    return presentJob(row);
  }

  async exists(id: string): Promise<boolean> {
    return (await this.jobs.findById(id)) !== null;
  }

  async require(id: string): Promise<JobRecord> {
    const job = await this.jobs.findById(id);
    if (!job) throw new NotFoundError(`job ${id} not found`);
    return job;
  }

  async readDefinition(job: JobRecord): Promise<JobDefinition> {
    const buf = await this.storage.get(jobDefinitionVersionKey(job.id, job.current_version));
    return JSON.parse(buf.toString('utf8')) as JobDefinition;
  }

  private metadata(id: string, d: JobDefinition, now: Date): JobMetadata {
    const schedule = d.schedule;
    const scheduled = Boolean(schedule) && d.triggers.scheduled;
    return {
      name: d.name,
      description: d.description ?? null,
      enabled: d.enabled,
      definition_path: jobDefinitionKey(id),
      schedule: schedule ? (JSON.parse(JSON.stringify(schedule)) as Record<string, unknown>) : null,
      schedule_type: schedule?.type ?? null,
      timezone: schedule && 'timezone' in schedule ? (schedule.timezone ?? null) : null,
      scheduled_trigger: d.triggers.scheduled,
      manual_trigger: d.triggers.manual,
      webhook_enabled: Boolean(d.triggers.webhook?.enabled),
      allow_concurrent: d.allow_concurrent,
      // A limit only matters when runs may overlap.
      max_concurrent: d.allow_concurrent ? (d.max_concurrent ?? null) : null,
      next_run_at: scheduled && schedule ? nextFireTime(schedule, { after: now, createdAt: now }) : null,
    };
  }
}

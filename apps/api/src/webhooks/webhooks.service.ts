import { Inject, Injectable, Logger } from '@nestjs/common';
import { JobsRepository, SecretCipherError, WebhooksRepository, type JobRecord, type Queryable, type WebhookRecord } from '@vecron/db';
import type { JobDefinition } from '@vecron/definitions';
import { API_CONFIG, type ApiEnv } from '../config/api.env';
import { ConflictError, NotFoundError } from '../errors/app-errors';
import type { ListWebhooksQuery, WebhookInfoDto, WebhookListDto } from './dto/webhook.dto';
import { WebhookCallStatsStore } from './webhook-call-stats';
import { redactWebhookSecret, splitWebhookSecret, type WebhookPlan } from './webhook-definition';
import { newWebhookKey, newWebhookSecret, webhookPath } from './webhook-keys';

/**
 * Webhook triggers as part of a job: keys and secrets issued when a job with a webhook is
 * saved, shown in the job (without the secret), regenerated on demand, listed.
 */
@Injectable()
export class WebhooksService {
  private readonly logger = new Logger(WebhooksService.name);

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiEnv,
    private readonly webhooks: WebhooksRepository,
    private readonly jobs: JobsRepository,
    private readonly stats: WebhookCallStatsStore,
  ) {}

  /** Validates a submitted definition with `validate` (the jobs' validator); returns the definition to store (no secret) and the plan for the job's webhook row. */
  prepare(raw: unknown, validate: (raw: unknown) => JobDefinition): { definition: JobDefinition; plan: WebhookPlan } {
    return splitWebhookSecret(validate(raw));
  }

  /**
   * Applies the plan inside the job's transaction. A new webhook gets a key and a secret (the
   * one sent, or a generated one, returned here once); an existing one keeps its key, and its
   * secret unless a new one was sent. A webhook turned off or removed keeps its row: its URL
   * answers 403 until the trigger is on again.
   */
  async save(jobId: string, plan: WebhookPlan, enabled: boolean, q: Queryable): Promise<WebhookInfoDto | null> {
    try {
      const existing = await this.webhooks.findByJobId(jobId, q);
      if (!existing) {
        if (!plan.present || (!plan.enabled && plan.secretGiven === null)) return null;
        const secret = plan.secretGiven ?? newWebhookSecret();
        const row = await this.webhooks.insert(jobId, newWebhookKey(), secret, plan.settings, q);
        this.logger.log({ job_id: jobId }, 'webhook key issued');
        return this.view(row, enabled, plan.secretGiven === null ? secret : undefined);
      }
      if (!plan.present) return this.view(existing, enabled);
      const row = await this.webhooks.updateSettings(jobId, plan.settings, plan.secretGiven, q);
      return this.view(row ?? existing, enabled);
    } catch (err) {
      if (err instanceof SecretCipherError) throw new ConflictError(`cannot store the webhook secret: ${err.message}`);
      throw err;
    }
  }

  /** The job's webhook as `GET /api/jobs/:id` shows it, or null. */
  async describe(job: JobRecord): Promise<WebhookInfoDto | null> {
    const row = await this.webhooks.findByJobId(job.id);
    return row ? this.view(row, job.webhook_enabled) : null;
  }

  /** A definition as shown by the API: no webhook secret. */
  redact(definition: JobDefinition): JobDefinition {
    return redactWebhookSecret(definition);
  }

  /** New key and secret at once; the old URL answers 404 from the commit on, on every replica. */
  async regenerate(jobId: string): Promise<WebhookInfoDto> {
    const job = await this.jobs.findById(jobId);
    if (!job) throw new NotFoundError(`job ${jobId} not found`);
    const secret = newWebhookSecret();
    let row: WebhookRecord | null;
    try {
      row = await this.webhooks.regenerate(jobId, newWebhookKey(), secret);
    } catch (err) {
      if (err instanceof SecretCipherError) throw new ConflictError(`cannot store the webhook secret: ${err.message}`);
      throw err;
    }
    if (!row) throw new ConflictError(`job ${jobId} has no webhook trigger`);
    this.logger.log({ job_id: jobId }, 'webhook key and secret regenerated');
    return this.view(row, job.webhook_enabled, secret);
  }

  async list(q: ListWebhooksQuery): Promise<WebhookListDto> {
    const { items, total } = await this.webhooks.list(q.page, q.page_size);
    const stats = await this.stats.read(items.map((i) => i.job_id));
    return {
      items: items.map((w) => {
        const s = stats.get(w.job_id);
        return {
          job_id: w.job_id,
          job_name: w.job_name,
          ...this.urls(w.url_key),
          enabled: w.webhook_enabled,
          job_enabled: w.job_enabled,
          rate_limit: rateLimit(w),
          forward_headers: w.forward_headers,
          last_call_at: s?.last_call_at ?? null,
          last_call_status: s?.last_call_status ?? null,
          calls_24h: s?.calls_24h ?? 0,
          issued_at: w.issued_at.toISOString(),
        };
      }),
      total,
      page: q.page,
      page_size: q.page_size,
    };
  }

  private urls(key: string): { url: string; path: string } {
    const path = webhookPath(key);
    return { url: `${this.config.WEBHOOK_BASE_URL}${path}`, path };
  }

  private view(row: WebhookRecord, enabled: boolean, secret?: string): WebhookInfoDto {
    return {
      ...this.urls(row.url_key),
      enabled,
      rate_limit: rateLimit(row),
      forward_headers: row.forward_headers,
      issued_at: row.issued_at.toISOString(),
      ...(secret !== undefined ? { secret } : {}),
    };
  }
}

function rateLimit(w: { rate_limit_max: number | null; rate_limit_window_seconds: number | null }): { max_requests: number; window_seconds: number } | null {
  return w.rate_limit_max !== null && w.rate_limit_window_seconds !== null ? { max_requests: w.rate_limit_max, window_seconds: w.rate_limit_window_seconds } : null;
}

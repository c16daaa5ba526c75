import { randomUUID } from 'crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import type { WebhookData } from '@vecron/context';
import { SecretCipherError, WebhooksRepository, type WebhookTarget } from '@vecron/db';
import { ExecutionDispatcher, type DispatchRequest } from '@vecron/queue';
import { API_CONFIG, type ApiEnv } from '../config/api.env';
import {
  AppError,
  ConflictError,
  DependencyUnavailableError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  RequestValidationError,
  TooManyRequestsError,
  UnauthorizedError,
} from '../errors/app-errors';
import { ExecutionInProgressError } from '../executions/execution.errors';
import { webhookBodyOf } from './webhook-body.middleware';
import { WebhookCallStatsStore } from './webhook-call-stats';
import { WebhookIdempotencyStore, type IdempotencyClaim } from './webhook-idempotency.store';
import { isPlausibleWebhookKey } from './webhook-keys';
import { buildWebhookData, WebhookPayloadError } from './webhook-payload';
import { WebhookRateLimiter } from './webhook-rate-limiter';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature } from './webhook-signature';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REQUEST_ID_HEADER = 'x-request-id';
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
const MAX_IDEMPOTENCY_KEY = 255;
/** How long a request waits for another one holding the same Idempotency-Key before a 409. */
const IDEMPOTENCY_WAIT_MS = 3000;

/** The caller's X-Request-Id when it is a sane token, else a new UUID. */
export function requestIdOf(req: Request): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * `POST /webhooks/{key}`. Checks, in order: body size (413), key (404), job and trigger on
 * (403), signature and timestamp (401), request content (400), a repeated Idempotency-Key or
 * replayed signed request (202 with the first execution), rate limit (429), a run in progress
 * when the job forbids overlap (409); then starts the execution through the dispatcher (202).
 */
@Injectable()
export class WebhookReceiverService {
  private readonly logger = new Logger(WebhookReceiverService.name);

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiEnv,
    private readonly webhooks: WebhooksRepository,
    private readonly dispatcher: ExecutionDispatcher,
    private readonly rateLimiter: WebhookRateLimiter,
    private readonly idempotency: WebhookIdempotencyStore,
    private readonly stats: WebhookCallStatsStore,
  ) {}

  async receive(key: string, req: Request, requestId: string): Promise<{ execution_id: string }> {
    const body = webhookBodyOf(req);
    if (!body.ok) {
      if (body.status === 413) throw new PayloadTooLargeError(`request body is larger than ${this.config.WEBHOOK_BODY_LIMIT}`);
      throw new RequestValidationError([{ path: 'body', message: body.status === 415 ? 'Content-Encoding is not supported' : 'could not be read' }], 'invalid webhook request');
    }
    if (!isPlausibleWebhookKey(key)) throw new NotFoundError('no webhook at this URL');
    const target = await this.findTarget(key);
    if (!target) throw new NotFoundError('no webhook at this URL');
    let status = 500;
    try {
      const result = await this.handle(target, body.body, req, requestId);
      status = 202;
      return result;
    } catch (err) {
      status = err instanceof AppError ? err.status : 500;
      throw err;
    } finally {
      await this.stats.record(target.job_id, status).catch((err: unknown) => this.logger.warn({ job_id: target.job_id, err }, 'webhook call not counted'));
    }
  }

  private async findTarget(key: string): Promise<WebhookTarget | null> {
    try {
      return await this.webhooks.findTarget(key);
    } catch (err) {
      if (err instanceof SecretCipherError) {
        this.logger.error({ err: err.message }, 'webhook secret cannot be decrypted (encryption keys)');
        throw new DependencyUnavailableError('webhook secret unavailable');
      }
      throw err;
    }
  }

  private async handle(target: WebhookTarget, body: Buffer, req: Request, requestId: string): Promise<{ execution_id: string }> {
    const log = { job_id: target.job_id, request_id: requestId };
    if (!target.job_enabled) throw new ForbiddenError('the job is disabled');
    if (!target.webhook_enabled) throw new ForbiddenError("the job's webhook trigger is off");
    const check = verifyWebhookSignature({
      secret: target.secret,
      body,
      signature: req.headers[SIGNATURE_HEADER],
      timestamp: req.headers[TIMESTAMP_HEADER],
      nowMs: Date.now(),
      toleranceSeconds: this.config.WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS,
      requireTimestamp: this.config.WEBHOOK_REQUIRE_TIMESTAMP,
    });
    if (!check.ok) {
      this.logger.log({ ...log, status: 401, reason: check.reason }, 'webhook refused: signature');
      throw new UnauthorizedError('missing or invalid signature');
    }
    const webhook = this.webhookData(target, body, req);
    const idempotencyKey = this.idempotencyKeyOf(req);
    // A repeated Idempotency-Key, or the very same signed request replayed inside the
    // timestamp window, starts nothing and answers the first request's execution.
    const dedupe = idempotencyKey !== null ? `idem:${idempotencyKey}` : check.timestamp !== null ? `sig:${check.signature}` : null;
    const ttlMs = idempotencyKey !== null ? this.config.WEBHOOK_IDEMPOTENCY_TTL_SECONDS * 1000 : 2 * this.config.WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS * 1000;
    const claim = dedupe === null ? null : await this.claim(target.job_id, dedupe, ttlMs);
    if (claim?.state === 'done') {
      this.logger.log({ ...log, execution_id: claim.executionId }, 'webhook repeat: execution already started');
      return { execution_id: claim.executionId };
    }
    try {
      if (target.rate_limit_max !== null && target.rate_limit_window_seconds !== null) {
        const d = await this.redis(() => this.rateLimiter.take(target.job_id, target.rate_limit_max!, target.rate_limit_window_seconds!));
        if (!d.allowed) throw new TooManyRequestsError(`over the webhook rate limit of ${target.rate_limit_max} requests per ${target.rate_limit_window_seconds} s`, d.retryAfterSeconds);
      }
      const executionId = await this.dispatch({
        jobId: target.job_id,
        definitionVersion: target.current_version,
        allowConcurrent: target.allow_concurrent,
        triggerSource: 'webhook',
        triggerMetadata: {
          webhook,
          request_id: requestId,
          remote_address: req.ip ?? req.socket.remoteAddress ?? null,
          ...(idempotencyKey !== null ? { idempotency_key: idempotencyKey } : {}),
          ...(check.timestamp !== null ? { signed_at: new Date(check.timestamp * 1000).toISOString() } : {}),
        },
      });
      if (claim) await this.redis(() => claim.complete(executionId)).catch((err: unknown) => this.logger.warn({ ...log, err }, 'idempotency key not recorded'));
      this.logger.log({ ...log, execution_id: executionId }, 'webhook accepted');
      return { execution_id: executionId };
    } catch (err) {
      if (claim) await claim.release().catch(() => undefined);
      if (err instanceof AppError) this.logger.log({ ...log, status: err.status }, `webhook refused: ${err.message}`);
      throw err;
    }
  }

  private webhookData(target: WebhookTarget, body: Buffer, req: Request): WebhookData {
    try {
      const q = req.originalUrl.indexOf('?');
      return buildWebhookData({
        body,
        contentType: req.headers['content-type'],
        query: q < 0 ? '' : req.originalUrl.slice(q + 1),
        headers: req.headers,
        forwardHeaders: target.forward_headers,
      });
    } catch (err) {
      if (err instanceof WebhookPayloadError) throw new RequestValidationError([{ path: err.path, message: err.message }], 'invalid webhook request');
      throw err;
    }
  }

  private idempotencyKeyOf(req: Request): string | null {
    const v = req.headers[IDEMPOTENCY_HEADER];
    if (v === undefined) return null;
    const key = (Array.isArray(v) ? v.join(',') : v).trim();
    if (key === '' || key.length > MAX_IDEMPOTENCY_KEY) {
      throw new RequestValidationError([{ path: 'headers.idempotency-key', message: `must be 1 to ${MAX_IDEMPOTENCY_KEY} characters` }], 'invalid webhook request');
    }
    return key;
  }

  /** Takes the dedupe key; while another request holds it, waits a little for its answer. */
  private async claim(jobId: string, dedupe: string, ttlMs: number): Promise<Exclude<IdempotencyClaim, { state: 'busy' }>> {
    const end = Date.now() + IDEMPOTENCY_WAIT_MS;
    for (;;) {
      const c = await this.redis(() => this.idempotency.claim(jobId, dedupe, ttlMs));
      if (c.state !== 'busy') return c;
      if (Date.now() > end) throw new ConflictError('a request with the same Idempotency-Key is still being processed; retry later');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Starts the execution unless the job forbids overlap and one is in progress (409 with its id). */
  private async dispatch(req: DispatchRequest): Promise<string> {
    const outcome = await this.dispatcher.dispatchUnlessActive(req);
    if (!outcome.started) throw new ExecutionInProgressError(outcome.activeExecutionId);
    return outcome.execution.id;
  }

  /** A Redis failure is a 503, not a 500. */
  private async redis<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof AppError) throw err;
      this.logger.error({ err }, 'redis unavailable for webhooks');
      throw new DependencyUnavailableError('rate limit and idempotency store unavailable');
    }
  }
}

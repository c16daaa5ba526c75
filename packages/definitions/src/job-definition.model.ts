import {
  arrayOfObjects,
  bool,
  Discriminator,
  Field,
  int,
  Nested,
  object,
  Opt,
  Req,
  str,
} from './field.decorators';
import { type Schedule, scheduleClassFor } from './schedule.model';
import { type StepConfig, stepConfigClass, STEP_TYPES, type StepType } from './step-config.model';

/**
 * The job definition (ARCHITECTURE.md, "Job definition format"). Property names are the JSON
 * names. validateJobDefinition returns a plain JSON object of this shape with defaults applied.
 */

export const DEFAULT_JOB_TIMEOUT_SECONDS = 300;
export const DEFAULT_MAX_RETRIES = 10;
/** Longest job timeout: seven days. */
export const MAX_JOB_TIMEOUT_SECONDS = 604_800;
export const MAX_RETRIES_LIMIT = 100;
export const MAX_STEPS = 100;
export const MIN_WEBHOOK_SECRET_LENGTH = 16;
export const STEP_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export class WebhookRateLimit {
  @Req(int(1, 1_000_000)) max_requests!: number;
  @Req(int(1, 86_400)) window_seconds!: number;
}

export class WebhookTrigger {
  /** Default true: giving a webhook block turns the webhook on unless it says otherwise. */
  @Opt(bool) enabled: boolean = true;

  /** HMAC-SHA256 key of `X-Webhook-Signature`; at least 16 characters, required when enabled. */
  @Field((v, obj) => {
    if (v === undefined || v === null) return obj['enabled'] === false ? null : 'is required when the webhook is enabled';
    return str({ min: MIN_WEBHOOK_SECRET_LENGTH, max: 512 })(v, obj);
  })
  secret_key?: string | null;

  @Nested(() => WebhookRateLimit, { optional: true }) @Opt(object) rate_limit?: WebhookRateLimit | null;
}

export class JobTriggers {
  /** Fires from `schedule`. */
  @Opt(bool) scheduled: boolean = true;
  /** `POST /api/jobs/:id/trigger`. */
  @Opt(bool) manual: boolean = true;
  @Nested(() => WebhookTrigger, { optional: true }) @Opt(object) webhook?: WebhookTrigger | null;
}

/**
 * Per-step override of the job's retry settings. `max_retries`: retries of this step (instead of
 * the job's `max_retries`); `backoff_seconds`: base delay before the first retry (the worker
 * grows it exponentially). Both optional.
 */
export class StepRetry {
  @Opt(int(0, MAX_RETRIES_LIMIT)) max_retries?: number | null;
  @Opt(int(0, 86_400)) backoff_seconds?: number | null;
}

export class StepDefinition {
  /** Unique in the job; referenced as `{{steps.<id>...}}` by later steps. */
  @Req(str({ max: 100, pattern: STEP_ID_PATTERN, patternMessage: `must match ${String(STEP_ID_PATTERN)}` }))
  id!: string;

  @Req(str({ max: 200 })) name!: string;

  @Discriminator(STEP_TYPES, 'config') type!: StepType;

  /** Condition language (see @vecron/context); false skips the step. Null: always run. */
  @Opt(str({ max: 4000 })) condition: string | null = null;

  @Nested((_raw, step) => stepConfigClass(step['type'])) @Req(object) config!: StepConfig;

  @Nested(() => StepRetry, { optional: true }) @Opt(object) retry?: StepRetry | null;
}

export class JobDefinition {
  @Req(str({ max: 200 })) name!: string;

  @Opt(str({ min: 0, max: 2000 })) description?: string | null;

  /** Null: manual and webhook triggers only. */
  @Nested((raw) => scheduleClassFor(raw), { optional: true }) @Opt(object) schedule: Schedule | null = null;

  @Nested(() => JobTriggers, { optional: true }) @Opt(object) triggers: JobTriggers = new JobTriggers();

  @Nested(() => StepDefinition, { each: true })
  @Req(
    arrayOfObjects({
      min: 1,
      minMessage: 'must contain at least one step',
      max: MAX_STEPS,
      maxMessage: `must contain at most ${MAX_STEPS} steps`,
    }),
  )
  steps!: StepDefinition[];

  /** Whole-execution timeout. */
  @Opt(int(1, MAX_JOB_TIMEOUT_SECONDS)) timeout_seconds: number = DEFAULT_JOB_TIMEOUT_SECONDS;

  @Opt(int(0, MAX_RETRIES_LIMIT)) max_retries: number = DEFAULT_MAX_RETRIES;

  /** False: a fire while a run of this job is active is not started concurrently. */
  @Opt(bool) allow_concurrent: boolean = false;

  @Opt(bool) enabled: boolean = true;
}

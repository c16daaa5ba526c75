import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import { JobAlerts } from './alerts.model';
import { isPlainObject } from './json-value';
import {
  A_BOOLEAN,
  A_STRING,
  AN_ARRAY,
  AN_INTEGER,
  AN_OBJECT,
  AT_LEAST,
  AT_LEAST_CHARS,
  AT_MOST,
  AT_MOST_CHARS,
  IsNotBlank,
  REQUIRED,
} from './model.constraints';
import { type Schedule, SCHEDULE_DISCRIMINATOR, UnknownSchedule } from './schedule.model';

/**
 * The job definition (ARCHITECTURE.md, "Job definition format"). Property names are the JSON
 * names. validateJobDefinition returns a plain JSON object of this shape with defaults applied.
 *
 * Step configs are not modelled here: each step type's config class lives with its executor
 * (@vecron/executors) and reaches the validator through a StepTypeCatalog.
 *
 * Validated with stopAtFirstError: a property's rules run bottom-up (the one nearest the
 * property first) and only the first failing one is reported; IsDefined always runs first.
 */

export const DEFAULT_JOB_TIMEOUT_SECONDS = 300;
export const DEFAULT_MAX_RETRIES = 10;
/** Longest job timeout: seven days. */
export const MAX_JOB_TIMEOUT_SECONDS = 604_800;
export const MAX_RETRIES_LIMIT = 100;
export const MAX_STEPS = 100;
/** Longest per-step retry back-off base, and longest single retry delay: one day. */
export const MAX_BACKOFF_SECONDS = 86_400;
/**
 * The default retry schedule (seconds before retry 1, 2, 3, …): 5 s, 15 s, 1 min, 5 min, then
 * 30 min for every later retry (the last entry repeats).
 */
export const DEFAULT_RETRY_DELAYS_SECONDS: readonly number[] = [5, 15, 60, 300, 1800];
/** Default random jitter applied to every retry delay: ±20 %. */
export const DEFAULT_RETRY_JITTER = 0.2;
/** Most entries in a `delays_seconds` list. */
export const MAX_RETRY_DELAYS = 100;
export const MIN_WEBHOOK_SECRET_LENGTH = 16;
export const MAX_FORWARD_HEADERS = 100;
/** An HTTP header name (RFC 9110 token), at most 256 characters. */
export const HTTP_HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;
export const MAX_NOTES = 100;
export const MAX_NOTE_LENGTH = 4000;
export const STEP_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** A step config as stored: the JSON object written in the definition (checked by the step type). */
export type StepConfigJson = Record<string, unknown>;

export class WebhookRateLimit {
  @IsDefined(REQUIRED)
  @Max(1_000_000, AT_MOST)
  @Min(1, AT_LEAST)
  @IsInt(AN_INTEGER)
  max_requests!: number;

  @IsDefined(REQUIRED)
  @Max(86_400, AT_MOST)
  @Min(1, AT_LEAST)
  @IsInt(AN_INTEGER)
  window_seconds!: number;
}

export class WebhookTrigger {
  /** Default true: giving a webhook block turns the webhook on unless it says otherwise. */
  @IsOptional()
  @IsBoolean(A_BOOLEAN)
  enabled: boolean = true;

  /**
   * HMAC-SHA256 key of `X-Webhook-Signature`, at least 16 characters. Optional: without one the
   * api generates a secret and returns it once. The api keeps it encrypted in the system
   * database; the definition it stores never holds it.
   */
  @IsOptional()
  @MaxLength(512, AT_MOST_CHARS)
  @MinLength(MIN_WEBHOOK_SECRET_LENGTH, AT_LEAST_CHARS)
  @IsString(A_STRING)
  secret_key?: string | null;

  /**
   * Request headers copied into the context's `webhook.headers` (case-insensitive names). Absent:
   * every header except Authorization, Cookie and the signature headers.
   */
  @IsOptional()
  @Matches(HTTP_HEADER_NAME, { each: true, message: 'must be an HTTP header name' })
  @IsString({ each: true, message: 'must be an HTTP header name' })
  @ArrayMaxSize(MAX_FORWARD_HEADERS, { message: `must contain at most ${MAX_FORWARD_HEADERS} header names` })
  @IsArray({ message: 'must be an array of header names' })
  forward_headers?: string[] | null;

  @IsOptional()
  @IsObject(AN_OBJECT)
  @ValidateNested()
  @Type(() => WebhookRateLimit)
  rate_limit?: WebhookRateLimit | null;
}

export class JobTriggers {
  /** Fires from `schedule`. */
  @IsOptional()
  @IsBoolean(A_BOOLEAN)
  scheduled: boolean = true;

  /** `POST /api/jobs/:id/trigger`. */
  @IsOptional()
  @IsBoolean(A_BOOLEAN)
  manual: boolean = true;

  @IsOptional()
  @IsObject(AN_OBJECT)
  @ValidateNested()
  @Type(() => WebhookTrigger)
  webhook?: WebhookTrigger | null;
}

/**
 * A retry schedule: `delays_seconds` lists the wait before retry 1, 2, 3, … (the last entry
 * repeats for every later retry); `jitter` is the random spread applied to each delay, as a
 * fraction (0.2 = ±20 %). Absent fields fall back to the level above (step → job → default
 * 5 s, 15 s, 1 min, 5 min, then 30 min, ±20 %).
 */
export class RetrySchedule {
  @IsOptional()
  @Max(MAX_BACKOFF_SECONDS, { each: true, message: `each delay must be at most ${MAX_BACKOFF_SECONDS}` })
  @Min(0, { each: true, message: 'each delay must be at least 0' })
  @IsInt({ each: true, message: 'each delay must be an integer (seconds)' })
  @ArrayMaxSize(MAX_RETRY_DELAYS, { message: `must contain at most ${MAX_RETRY_DELAYS} delays` })
  @ArrayMinSize(1, { message: 'must contain at least one delay' })
  @IsArray(AN_ARRAY)
  delays_seconds?: number[] | null;

  @IsOptional()
  @Max(1, AT_MOST)
  @Min(0, AT_LEAST)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'must be a number' })
  jitter?: number | null;
}

/**
 * Per-step override of the job's retry settings (every field optional). `max_retries`: retries
 * of this step (instead of the job's `max_retries`); `delays_seconds` / `jitter`: the step's own
 * schedule (instead of the job's `retry`); `backoff_seconds` (older form, used when
 * `delays_seconds` is absent): base delay before the first retry, doubled on each further
 * retry up to 30 minutes (a base above that is kept).
 */
export class StepRetry extends RetrySchedule {
  @IsOptional()
  @Max(MAX_RETRIES_LIMIT, AT_MOST)
  @Min(0, AT_LEAST)
  @IsInt(AN_INTEGER)
  max_retries?: number | null;

  @IsOptional()
  @Max(MAX_BACKOFF_SECONDS, AT_MOST)
  @Min(0, AT_LEAST)
  @IsInt(AN_INTEGER)
  backoff_seconds?: number | null;
}

export class StepDefinition {
  /** Unique in the job; referenced as `{{steps.<id>...}}` by later steps. */
  @IsDefined(REQUIRED)
  @Matches(STEP_ID_PATTERN, { message: `must match ${String(STEP_ID_PATTERN)}` })
  @MaxLength(100, AT_MOST_CHARS)
  @IsNotBlank()
  @IsString(A_STRING)
  id!: string;

  @IsDefined(REQUIRED)
  @MaxLength(200, AT_MOST_CHARS)
  @IsNotBlank()
  @IsString(A_STRING)
  name!: string;

  /** A registered step type (the validator checks it against its StepTypeCatalog). */
  @IsDefined(REQUIRED)
  @IsNotBlank()
  @IsString(A_STRING)
  type!: string;

  /** Condition language (see @vecron/context); false skips the step. Null: always run. */
  @IsOptional()
  @MaxLength(4000, AT_MOST_CHARS)
  @IsNotBlank()
  @IsString(A_STRING)
  condition: string | null = null;

  /** The step type's config; its schema is the step type's config class. Stored as submitted. */
  @IsDefined(REQUIRED)
  @IsObject(AN_OBJECT)
  @JSONSchema({ type: 'object' })
  config!: StepConfigJson;

  @IsOptional()
  @IsObject(AN_OBJECT)
  @ValidateNested()
  @Type(() => StepRetry)
  retry?: StepRetry | null;
}

/**
 * Array items that are not plain objects are replaced by `false` before class-transformer sees
 * them, so that class-validator reports `must be an object` at their index (it would otherwise
 * walk into a nested array and validate its items as steps).
 */
function objectsOnly({ value }: { value: unknown }): unknown {
  return Array.isArray(value) ? value.map((item: unknown) => (isPlainObject(item) || item instanceof StepDefinition ? item : false)) : value;
}

export class JobDefinition {
  @IsDefined(REQUIRED)
  @MaxLength(200, AT_MOST_CHARS)
  @IsNotBlank()
  @IsString(A_STRING)
  name!: string;

  @IsOptional()
  @MaxLength(2000, AT_MOST_CHARS)
  @IsString(A_STRING)
  description?: string | null;

  /**
   * Free-text notes kept with the job as documentation (never interpreted). Job files of the
   * system vecron replaces may give one string: it is read as a list of one note.
   */
  @IsOptional()
  @MaxLength(MAX_NOTE_LENGTH, { each: true, message: `must contain notes of at most ${MAX_NOTE_LENGTH} characters` })
  @IsString({ each: true, message: 'must be a list of strings' })
  @ArrayMaxSize(MAX_NOTES, { message: `must contain at most ${MAX_NOTES} notes` })
  @IsArray({ message: 'must be a list of strings' })
  notes?: string[] | null;

  /** Null: manual and webhook triggers only. */
  @IsOptional()
  @IsObject(AN_OBJECT)
  @ValidateNested()
  @Type(() => UnknownSchedule, { discriminator: SCHEDULE_DISCRIMINATOR, keepDiscriminatorProperty: true })
  schedule: Schedule | null = null;

  @IsOptional()
  @IsObject(AN_OBJECT)
  @ValidateNested()
  @Type(() => JobTriggers)
  triggers: JobTriggers = new JobTriggers();

  @IsDefined(REQUIRED)
  @ArrayMaxSize(MAX_STEPS, { message: `must contain at most ${MAX_STEPS} steps` })
  @ArrayMinSize(1, { message: 'must contain at least one step' })
  @IsArray(AN_ARRAY)
  @ValidateNested({ each: true })
  @Type(() => StepDefinition)
  @Transform(objectsOnly, { toClassOnly: true })
  steps!: StepDefinition[];

  /** Whole-execution timeout. */
  @IsOptional()
  @Max(MAX_JOB_TIMEOUT_SECONDS, AT_MOST)
  @Min(1, AT_LEAST)
  @IsInt(AN_INTEGER)
  timeout_seconds: number = DEFAULT_JOB_TIMEOUT_SECONDS;

  @IsOptional()
  @Max(MAX_RETRIES_LIMIT, AT_MOST)
  @Min(0, AT_LEAST)
  @IsInt(AN_INTEGER)
  max_retries: number = DEFAULT_MAX_RETRIES;

  /** The job's retry schedule (delays and jitter); a step's `retry` overrides it. */
  @IsOptional()
  @IsObject(AN_OBJECT)
  @ValidateNested()
  @Type(() => RetrySchedule)
  retry?: RetrySchedule | null;

  /** False: a fire while a run of this job is active is not started concurrently. */
  @IsOptional()
  @IsBoolean(A_BOOLEAN)
  allow_concurrent: boolean = false;

  @IsOptional()
  @IsBoolean(A_BOOLEAN)
  enabled: boolean = true;

  /** Failure alerts (after N consecutive failures, recovered on the next success); absent: the worker's defaults. */
  @IsOptional()
  @IsObject(AN_OBJECT)
  @ValidateNested()
  @Type(() => JobAlerts)
  alerts?: JobAlerts | null;
}

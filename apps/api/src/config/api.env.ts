import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsNotEmpty, IsString, Matches, Max, Min } from 'class-validator';
import { BaseEnv, toBool } from '@vecron/config';

/** Environment of the api process (see .env.example). */
export class ApiEnv extends BaseEnv {
  /** HTTP port of the REST API, webhooks and dashboard. */
  @IsInt() @Min(1) @Max(65535)
  PORT: number = 8080;

  /** Address the HTTP server binds to (0.0.0.0 behind a load balancer). */
  @IsString() @IsNotEmpty()
  HOST: string = '127.0.0.1';

  /** Apply pending database migrations when the api starts. */
  @Transform(toBool) @IsBoolean()
  MIGRATE_ON_START: boolean = true;

  /** Largest accepted JSON request body. */
  @IsString() @IsNotEmpty()
  BODY_LIMIT: string = '5mb';

  /** Largest accepted webhook body (`POST /webhooks/{key}`); a bigger one gets 413. */
  @IsString() @IsNotEmpty()
  WEBHOOK_BODY_LIMIT: string = '1mb';

  /** A signed `X-Webhook-Timestamp` further than this from now (either way) is refused (401). */
  @IsInt() @Min(1) @Max(86_400)
  WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS: number = 300;

  /** Refuse webhook requests without `X-Webhook-Timestamp` (default: the timestamp is optional). */
  @Transform(toBool) @IsBoolean()
  WEBHOOK_REQUIRE_TIMESTAMP: boolean = false;

  /** How long an `Idempotency-Key` is remembered per job. */
  @IsInt() @Min(60) @Max(604_800)
  WEBHOOK_IDEMPOTENCY_TTL_SECONDS: number = 86_400;

  /** Public base URL put in front of `/webhooks/{key}` in API answers (empty: the path alone). */
  @Matches(/^(https?:\/\/[^\s]+[^/\s])?$/, { message: 'must be empty or an http(s) URL without a trailing slash' })
  WEBHOOK_BASE_URL: string = '';
}

/** Injection token of the validated ApiEnv. */
export const API_CONFIG = Symbol('API_CONFIG');

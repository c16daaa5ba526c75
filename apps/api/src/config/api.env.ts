import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsString, Matches, Max, Min, MinLength, ValidateIf } from 'class-validator';
import { BaseEnv, toBool } from '@vecron/config';

/** How the api authenticates callers (AUTH_MODE). */
export const AUTH_MODES = ['database', 'keycloak'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

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

  // --- authentication, authorization and HTTP hardening (issue 13) ---

  /** `database`: users and roles in the system database, tokens issued by POST /api/auth/login. `keycloak`: tokens from a Keycloak realm. */
  @IsIn(AUTH_MODES)
  AUTH_MODE: AuthMode = 'database';

  /**
   * HMAC secret signing the api's tokens (database mode), at least 32 characters. Empty: a random
   * secret per process — tokens die with the process and replicas do not share them; set it
   * (same value on every replica) for anything but a local run.
   */
  @ValidateIf((o: ApiEnv) => o.JWT_SECRET !== '')
  @IsString() @MinLength(32, { message: 'must be empty (random per process) or at least 32 characters' })
  JWT_SECRET: string = '';

  /** Lifetime of an access token issued by POST /api/auth/login. */
  @IsInt() @Min(60) @Max(604_800)
  JWT_EXPIRES_IN_SECONDS: number = 3600;

  /** Failed logins from one address within LOGIN_FAILURE_WINDOW_SECONDS before it gets 429. */
  @IsInt() @Min(1) @Max(1000)
  LOGIN_MAX_FAILURES: number = 5;

  @IsInt() @Min(1) @Max(86_400)
  LOGIN_FAILURE_WINDOW_SECONDS: number = 900;

  /** Keycloak base URL (keycloak mode), e.g. https://sso.example.com (issuer = {url}/realms/{realm}). */
  @ValidateIf((o: ApiEnv) => o.AUTH_MODE === 'keycloak')
  @Matches(/^https?:\/\/[^\s]+[^/\s]$/, { message: 'must be an http(s) URL without a trailing slash' })
  KEYCLOAK_URL: string = '';

  @ValidateIf((o: ApiEnv) => o.AUTH_MODE === 'keycloak')
  @IsString() @IsNotEmpty()
  KEYCLOAK_REALM: string = '';

  /** The client the api is: the tokens' audience, and whose client roles are read. */
  @ValidateIf((o: ApiEnv) => o.AUTH_MODE === 'keycloak')
  @IsString() @IsNotEmpty()
  KEYCLOAK_CLIENT_ID: string = '';

  /** The client's secret when the dashboard's "Sign in with Keycloak" client is confidential; empty for a public client (PKCE only). */
  @IsString()
  KEYCLOAK_CLIENT_SECRET: string = '';

  /** How often the realm's signing keys (JWKS) are re-read; the last keys read stay in use while Keycloak is unreachable. */
  @IsInt() @Min(10) @Max(86_400)
  KEYCLOAK_JWKS_REFRESH_SECONDS: number = 300;

  /** Origins allowed to call the api from a browser, comma-separated; empty: no cross-origin access (CORS closed). */
  @IsString()
  CORS_ORIGINS: string = '';

  /**
   * Express `trust proxy`: empty (default) trusts no proxy — the client address (login rate
   * limit, audit) is the TCP peer. Behind a load balancer: the number of proxies in front
   * (e.g. `1`), or their addresses/subnets comma-separated.
   */
  @Matches(/^([0-9]{1,2}|[0-9a-fA-F:.\/,\s]+|loopback|uniquelocal|linklocal)?$/, { message: 'must be empty, a hop count, or addresses/subnets' })
  TRUST_PROXY: string = '';

  /** Largest job definition (POST/PUT under /api/jobs); a bigger one gets 413. */
  @IsString() @IsNotEmpty()
  JOB_DEFINITION_BODY_LIMIT: string = '1mb';
}


/** Injection token of the validated ApiEnv. */
export const API_CONFIG = Symbol('API_CONFIG');

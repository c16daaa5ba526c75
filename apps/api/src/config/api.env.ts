import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsNotEmpty, IsString, Max, Min } from 'class-validator';
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
}

/** Injection token of the validated ApiEnv. */
export const API_CONFIG = Symbol('API_CONFIG');

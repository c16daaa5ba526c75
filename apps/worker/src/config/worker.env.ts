import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { BaseEnv, toBool } from '@vecron/config';

/** Environment of a worker process (see .env.example). */
export class WorkerEnv extends BaseEnv {
  /** Executions run at the same time by this process. */
  @IsInt() @Min(1) @Max(1000)
  WORKER_CONCURRENCY: number = 10;

  /** On SIGTERM, how long in-flight executions may run before they are aborted. */
  @IsInt() @Min(0) @Max(3_600_000)
  WORKER_SHUTDOWN_GRACE_MS: number = 30_000;

  /** How often the worker tells the system database its running executions are alive. */
  @IsInt() @Min(1_000) @Max(600_000)
  WORKER_HEARTBEAT_MS: number = 10_000;

  /** HTTP step: send `Idempotency-Key: {execution_id}:{step_id}` unless a step's `idempotency_key` says otherwise. */
  @Transform(toBool) @IsBoolean()
  HTTP_STEP_IDEMPOTENCY_KEY: boolean = true;

  /** HTTP step: the idempotency key header's name unless a step's `idempotency_key_header` names one. */
  @Matches(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$/, { message: 'must be an HTTP header name' })
  HTTP_STEP_IDEMPOTENCY_HEADER: string = 'Idempotency-Key';

  /** OpenSSH known_hosts file the sftp step checks host keys against; default ~/.ssh/known_hosts. */
  @IsOptional() @IsString()
  SFTP_KNOWN_HOSTS?: string;

  /** Identity recorded on claimed executions; default host:pid. */
  @IsOptional() @IsString()
  WORKER_ID?: string;

  /** Database step: most target pools kept open (least recently used idle one closed first). */
  @IsInt() @Min(1) @Max(1000)
  DATABASE_STEP_MAX_POOLS: number = 20;

  /** Database step: connections per target pool. */
  @IsInt() @Min(1) @Max(1000)
  DATABASE_STEP_POOL_SIZE: number = 10;

  /** Database step: a target pool unused this long is closed. */
  @IsInt() @Min(1_000) @Max(86_400_000)
  DATABASE_STEP_POOL_IDLE_MS: number = 300_000;
}

/** Injection token of the validated WorkerEnv. */
export const WORKER_CONFIG = Symbol('WORKER_CONFIG');

import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { toBool } from '@vecron/config';
import { WorkerObservabilityEnv } from './observability.env';

/** Environment of a worker process (see .env.example). */
export class WorkerEnv extends WorkerObservabilityEnv {
  /** Executions run at the same time by this process. */
  @IsInt() @Min(1) @Max(1000)
  WORKER_CONCURRENCY: number = 10;

  /** On SIGTERM, how long in-flight executions may run before they are aborted. */
  @IsInt() @Min(0) @Max(3_600_000)
  WORKER_SHUTDOWN_GRACE_MS: number = 30_000;

  /** How often the worker tells the system database its running executions are alive. */
  @IsInt() @Min(1_000) @Max(600_000)
  WORKER_HEARTBEAT_MS: number = 10_000;

  /**
   * S3 or PostgreSQL unreachable (restarting) while an execution runs: the worker retries the
   * context save / row update that failed, first after this long, doubling (±20% jitter)…
   */
  @IsInt() @Min(0) @Max(60_000)
  WORKER_STORE_RETRY_BASE_MS: number = 250;

  /** …up to this long between two tries… */
  @IsInt() @Min(0) @Max(600_000)
  WORKER_STORE_RETRY_MAX_DELAY_MS: number = 5_000;

  /**
   * …for at most this long in all; then the execution waits for a delayed resume at the step in
   * progress (after WORKER_STORE_RETRY_MAX_DELAY_MS), like a retryable step error.
   */
  @IsInt() @Min(0) @Max(86_400_000)
  WORKER_STORE_RETRY_MAX_WAIT_MS: number = 600_000;

  /** HTTP step: send `Idempotency-Key: {execution_id}:{step_id}` unless a step's `idempotency_key` says otherwise. */
  @Transform(toBool) @IsBoolean()
  HTTP_STEP_IDEMPOTENCY_KEY: boolean = true;

  /** HTTP step: the idempotency key header's name unless a step's `idempotency_key_header` names one. */
  @Matches(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$/, { message: 'must be an HTTP header name' })
  HTTP_STEP_IDEMPOTENCY_HEADER: string = 'Idempotency-Key';

  /**
   * File step: parse CSV files in a worker thread while the step's thread transforms, writes and
   * uploads (uses a second core; costs ~15 % more CPU). false: parse in the step's thread, for
   * workers whose cores are busy with other executions anyway.
   */
  @Transform(toBool) @IsBoolean()
  FILE_STEP_CSV_THREAD: boolean = true;

  /** File step: CSV files up to this many bytes are parsed in the step's thread (a thread costs more than it saves). */
  @IsInt() @Min(0) @Max(1_073_741_824)
  FILE_STEP_CSV_THREAD_MIN_BYTES: number = 1_048_576;

  /** File step: read XLSX files (exceljs: inflate, XML parse) in a worker thread for files over 1 MiB; false: in the step's thread. */
  @Transform(toBool) @IsBoolean()
  FILE_STEP_XLSX_THREAD: boolean = true;

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

  /**
   * An execution waiting (overlap_policy queue / cancel_previous, max_concurrent) is delivered
   * again when a run of its job ends; this re-check is the safety net if that wake-up is lost.
   */
  @IsInt() @Min(500) @Max(3_600_000)
  WORKER_WAIT_RECHECK_MS: number = 15_000;

  /** Circuit breakers: failures of one target within the window that open its breaker. */
  @IsInt() @Min(1) @Max(10_000)
  CIRCUIT_BREAKER_FAILURE_THRESHOLD: number = 5;

  /** Circuit breakers: the window in which failures are counted. */
  @IsInt() @Min(1_000) @Max(86_400_000)
  CIRCUIT_BREAKER_WINDOW_MS: number = 60_000;

  /** Circuit breakers: how long an open breaker fails fast before it lets one probe through. */
  @IsInt() @Min(100) @Max(86_400_000)
  CIRCUIT_BREAKER_OPEN_MS: number = 30_000;

  /** Circuit breakers: a probe not reported within this time (its worker died) lets another one through. */
  @IsInt() @Min(1_000) @Max(86_400_000)
  CIRCUIT_BREAKER_PROBE_TIMEOUT_MS: number = 120_000;

  /** Circuit breakers: false turns them off (steps always run). */
  @Transform(toBool) @IsBoolean()
  CIRCUIT_BREAKER_ENABLED: boolean = true;
}

/** Injection token of the validated WorkerEnv. */
export const WORKER_CONFIG = Symbol('WORKER_CONFIG');

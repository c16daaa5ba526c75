import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { SchedulerObservabilityEnv } from './observability.env';

/** Environment of a scheduler process (see .env.example). */
export class SchedulerEnv extends SchedulerObservabilityEnv {
  /** How often the leader looks for due fires. Changes to jobs take effect within one tick. */
  @IsInt() @Min(50) @Max(10_000)
  SCHEDULER_TICK_MS: number = 250;

  /** Fires due within this window are enqueued ahead, with a Bull delay, so steps start on time. */
  @IsInt() @Min(0) @Max(60_000)
  SCHEDULER_LOOKAHEAD_MS: number = 1_000;

  /**
   * A fire is delivered to a worker this long before its due instant: the worker reads the
   * definition meanwhile and claims the execution at the instant, so that only the claim and the
   * first step remain after it (it holds one of the worker's slots while it waits). Effective up
   * to what SCHEDULER_LOOKAHEAD_MS leaves (fires are written 1 look-ahead to 1 look-ahead minus
   * 1 tick ahead). 0: delivered at the due instant.
   */
  @IsInt() @Min(0) @Max(60_000)
  SCHEDULER_PREPARE_LEAD_MS: number = 500;

  /** A fire later than this is a misfire and goes through the job's misfire_policy. */
  @IsInt() @Min(1_000) @Max(3_600_000)
  SCHEDULER_MISFIRE_THRESHOLD_MS: number = 5_000;

  /** TTL of the leader lock; renewed every tick. A dead leader is replaced after at most this long. */
  @IsInt() @Min(1_000) @Max(120_000)
  SCHEDULER_LOCK_TTL_MS: number = 5_000;

  /** Most jobs handled in one tick (the rest are handled in the next ones). */
  @IsInt() @Min(1) @Max(100_000)
  SCHEDULER_BATCH_SIZE: number = 1_000;

  /** How often pending executions lost between insert and enqueue are put back on the queue. */
  @IsInt() @Min(1_000) @Max(3_600_000)
  SCHEDULER_RECOVERY_INTERVAL_MS: number = 30_000;

  /**
   * A running execution without a worker heartbeat for this long lost its worker (killed): the
   * reconciler resumes it from its last saved step. Keep it well above WORKER_HEARTBEAT_MS.
   */
  @IsInt() @Min(5_000) @Max(86_400_000)
  SCHEDULER_STALE_RUNNING_MS: number = 120_000;

  /**
   * A running execution whose worker was lost is resumed from its last saved step at most this
   * many times; the next loss ends it `failed` (WORKER_LOST). 0: never resumed.
   */
  @IsInt() @Min(0) @Max(100)
  SCHEDULER_WORKER_LOST_MAX_RESUMES: number = 3;

  /** Identity in logs; default host:pid. */
  @IsOptional() @IsString()
  SCHEDULER_ID?: string;
}

/** Injection token of the validated SchedulerEnv. */
export const SCHEDULER_CONFIG = Symbol('SCHEDULER_CONFIG');

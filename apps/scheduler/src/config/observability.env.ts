import { IsInt, IsString, Max, Min } from 'class-validator';
import { BaseEnv } from '@vecron/config';

/** The scheduler's metrics listener (see .env.example). SchedulerEnv extends it. */
export class SchedulerObservabilityEnv extends BaseEnv {
  /** Port of the scheduler's `/metrics` and `/health` listener; 0 (default): no listener. */
  @IsInt() @Min(0) @Max(65535)
  SCHEDULER_METRICS_PORT: number = 0;

  /** Address the metrics listener binds to. */
  @IsString()
  METRICS_HOST: string = '127.0.0.1';
}

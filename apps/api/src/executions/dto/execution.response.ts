import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EXECUTION_STATUSES, TRIGGER_SOURCES } from '@vecron/db';
import type { AttemptView, ExecutionView, StepSummary } from '../execution.presenter';

/** Why an execution ended badly. */
export class ExecutionErrorResponse {
  @ApiProperty()
  message!: string;

  @ApiPropertyOptional({ description: 'the step that failed' })
  step_id?: string;

  @ApiPropertyOptional({ description: 'error code (HTTP_503, CANCELLED, WORKER_LOST, …)' })
  code?: string;

  @ApiPropertyOptional({ description: "whether the step's error was retryable" })
  retryable?: boolean;
}

/** One step's state, from the execution's context. */
export class StepSummaryResponse implements StepSummary {
  @ApiProperty()
  step_id!: string;

  @ApiProperty({ enum: ['running', 'success', 'failed', 'skipped'], description: 'the state of its last attempt' })
  status!: string;

  @ApiPropertyOptional()
  started_at?: string;

  @ApiPropertyOptional()
  completed_at?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: '{message, type?, retryable?}' })
  error?: unknown;
}

/** One attempt of one step. */
export class AttemptResponse implements AttemptView {
  @ApiProperty({ description: 'counted from 1 for each step' })
  attempt!: number;

  @ApiProperty()
  step_id!: string;

  @ApiProperty({ enum: ['success', 'failed'] })
  status!: 'success' | 'failed';

  @ApiPropertyOptional({ nullable: true, type: String })
  error_code!: string | null;

  @ApiPropertyOptional({ nullable: true, type: String })
  error_message!: string | null;

  @ApiPropertyOptional({ nullable: true, type: Boolean })
  retryable!: boolean | null;

  @ApiProperty()
  started_at!: string;

  @ApiProperty()
  finished_at!: string;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'when this failed attempt was retried (scheduled for); null when not retried' })
  next_attempt_at!: string | null;

  @ApiPropertyOptional({ nullable: true, type: String })
  worker_id!: string | null;
}

/** An execution as `GET /api/executions` and `GET /api/executions/:id` return it. */
export class ExecutionResponse implements ExecutionView {
  @ApiProperty()
  id!: string;

  @ApiProperty()
  job_id!: string;

  @ApiProperty({
    enum: EXECUTION_STATUSES,
    description: 'running includes a run waiting for a retry (next_attempt_at set); dead_letter: retries exhausted, never re-run automatically',
  })
  status!: string;

  @ApiProperty({ enum: TRIGGER_SOURCES })
  trigger_source!: string;

  @ApiProperty({ type: 'object', additionalProperties: true })
  trigger_metadata!: Record<string, unknown>;

  @ApiProperty({ description: 'the attempt number of the current (or last) step, from 1' })
  attempt!: number;

  @ApiPropertyOptional({ nullable: true, type: String })
  scheduled_for!: string | null;

  @ApiPropertyOptional({ nullable: true, type: String })
  started_at!: string | null;

  @ApiPropertyOptional({ nullable: true, type: String })
  completed_at!: string | null;

  @ApiPropertyOptional({ nullable: true, type: Number })
  duration_ms!: number | null;

  @ApiPropertyOptional({ nullable: true, type: String })
  current_step!: string | null;

  @ApiProperty()
  definition_version!: number;

  @ApiPropertyOptional({ nullable: true, type: String })
  context_path!: string | null;

  @ApiPropertyOptional({ nullable: true, type: ExecutionErrorResponse })
  error!: ExecutionErrorResponse | null;

  @ApiPropertyOptional({ nullable: true, type: String })
  cancel_requested_at!: string | null;

  @ApiPropertyOptional({ nullable: true, type: String })
  cancel_requested_by!: string | null;

  @ApiPropertyOptional({ nullable: true, type: String })
  cancel_requested_by_user_id!: string | null;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'set while waiting for a retry: when the failed step is tried again' })
  next_attempt_at!: string | null;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'the step a resume or a replay from the failed step starts at' })
  resume_step!: string | null;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'the execution this one replays' })
  replay_of!: string | null;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'the user who triggered it (manual runs and replays)' })
  triggered_by!: string | null;

  @ApiProperty()
  created_at!: string;

  @ApiPropertyOptional({ type: [StepSummaryResponse], description: 'GET /api/executions/:id only' })
  steps?: StepSummaryResponse[];

  @ApiPropertyOptional({ type: [AttemptResponse], description: 'GET /api/executions/:id only: every attempt of every step, oldest first' })
  attempts?: AttemptResponse[];
}

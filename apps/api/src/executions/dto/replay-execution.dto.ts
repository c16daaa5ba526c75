import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

export const REPLAY_FROM = ['failed_step', 'start'] as const;
export type ReplayFrom = (typeof REPLAY_FROM)[number];

/** Body of `POST /api/executions/:id/replay`. */
export class ReplayExecutionDto {
  @ApiPropertyOptional({
    enum: REPLAY_FROM,
    default: 'failed_step',
    description:
      "failed_step: start at the step the original failed at, with the original's context (outputs and files) of the steps before it; start: run every step again",
  })
  @IsOptional()
  @IsIn(REPLAY_FROM, { message: `must be one of ${REPLAY_FROM.join(', ')}` })
  from?: ReplayFrom;
}

/** The answer to `POST /api/executions/:id/replay` (202). */
export class ReplayExecutionResponse {
  @ApiProperty({ description: 'the new execution' })
  execution_id!: string;

  @ApiProperty({ description: 'the execution it replays' })
  replay_of!: string;

  @ApiProperty({ enum: REPLAY_FROM })
  from!: ReplayFrom;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'the step it starts at (from failed_step); null from the start' })
  resume_step!: string | null;
}

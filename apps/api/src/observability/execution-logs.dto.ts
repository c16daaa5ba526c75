import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** One log line of an execution, as the worker logged it (secrets masked). Further fields are the line's own. */
export class ExecutionLogLineDto {
  @ApiProperty({ description: 'UTC ISO-8601' })
  time!: string;

  @ApiProperty({ enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] })
  level!: string;

  @ApiProperty()
  msg!: string;

  @ApiPropertyOptional({ description: 'the step the line belongs to' })
  step_id?: string;

  [field: string]: unknown;
}

/** `GET /api/executions/:id/logs`. */
export class ExecutionLogsResponse {
  @ApiProperty()
  execution_id!: string;

  @ApiProperty({ description: 'the execution status now' })
  status!: string;

  @ApiProperty({
    description:
      'false while the execution has not ended or its lines are not written yet (they are written together within OBSERVE_FLUSH_MS of its end)',
  })
  complete!: boolean;

  @ApiProperty({ type: [ExecutionLogLineDto], description: 'in the order logged' })
  items!: ExecutionLogLineDto[];

  @ApiProperty()
  total!: number;

  @ApiProperty({ description: 'lines over the per-execution cap (EXECUTION_LOG_MAX_LINES), not kept' })
  dropped_lines!: number;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The answer to `POST /api/executions/:id/stop` (202). */
export class StopExecutionResponse {
  @ApiProperty()
  execution_id!: string;

  @ApiProperty({
    enum: ['cancelled', 'stopping'],
    description: 'cancelled: it was pending and is now cancelled; stopping: it is running and the worker holding it was told (it ends cancelled within seconds)',
  })
  status!: 'cancelled' | 'stopping';

  @ApiProperty({ description: 'when the stop was asked for (the first request when asked several times)' })
  cancel_requested_at!: string;

  @ApiProperty({ description: "who asked: 'api' (no users yet)" })
  cancel_requested_by!: string;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'the user who asked, once the api has users' })
  cancel_requested_by_user_id!: string | null;
}

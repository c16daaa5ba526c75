import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export const CIRCUIT_STATES = ['closed', 'open', 'half_open'] as const;

/** One change of a breaker's state. */
export class CircuitTransitionDto {
  @ApiProperty({ enum: CIRCUIT_STATES }) from!: string;
  @ApiProperty({ enum: CIRCUIT_STATES }) to!: string;
  @ApiProperty({ description: 'when (ISO-8601)' }) at!: string;
  @ApiProperty({ example: '5 failures within 60000 ms: GET http://bank.example.com/ failed with HTTP 503' }) reason!: string;
}

/** One target's breaker, shared by every worker. */
export class CircuitDto {
  @ApiProperty({ description: 'HTTP or SFTP `host:port`, database `host:port/db`', example: 'bank.example.com:443' })
  target!: string;

  @ApiProperty({ enum: CIRCUIT_STATES })
  state!: string;

  @ApiProperty({ description: 'failures counted in the current window (closed state)' })
  failure_count!: number;

  @ApiPropertyOptional({ nullable: true, description: 'when it last opened' })
  opened_at!: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'open: when it lets one probe through' })
  retry_at!: string | null;

  @ApiProperty()
  updated_at!: string;

  @ApiProperty({ type: [CircuitTransitionDto], description: 'recent transitions, newest first' })
  transitions!: CircuitTransitionDto[];
}

export class CircuitListDto {
  @ApiProperty({ type: [CircuitDto] }) items!: CircuitDto[];
  @ApiProperty() total!: number;
}

import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';

export class TriggerJobDto {
  @ApiPropertyOptional({ description: 'any JSON value, available to steps as {{webhook.payload…}}' })
  @IsOptional()
  payload?: unknown;
}

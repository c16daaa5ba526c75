import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, IsUUID } from 'class-validator';
import { EXECUTION_STATUSES, TRIGGER_SOURCES, type ExecutionStatus, type TriggerSource } from '@vecron/db';
import { PageQuery } from '../../jobs/dto/list-jobs.query';

export class ListExecutionsQuery extends PageQuery {
  @ApiPropertyOptional()
  @IsOptional() @IsUUID()
  job_id?: string;

  @ApiPropertyOptional({ enum: EXECUTION_STATUSES })
  @IsOptional() @IsIn(EXECUTION_STATUSES)
  status?: ExecutionStatus;

  @ApiPropertyOptional({ enum: TRIGGER_SOURCES })
  @IsOptional() @IsIn(TRIGGER_SOURCES)
  trigger_source?: TriggerSource;

  @ApiPropertyOptional({ description: 'created at or after (ISO-8601)' })
  @IsOptional() @Type(() => Date) @IsDate()
  from?: Date;

  @ApiPropertyOptional({ description: 'created before (ISO-8601)' })
  @IsOptional() @Type(() => Date) @IsDate()
  to?: Date;
}

import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../../jobs/dto/list-jobs.query';

export class ListAuditLogsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'user id (uuid, or the Keycloak subject)' })
  @IsOptional() @IsString() @MaxLength(200)
  user_id?: string;

  @ApiPropertyOptional()
  @IsOptional() @IsString() @MaxLength(200)
  username?: string;

  @ApiPropertyOptional({ description: 'exact action, e.g. auth.login, permission.denied, "POST /api/jobs"' })
  @IsOptional() @IsString() @MaxLength(200)
  action?: string;

  @ApiPropertyOptional({ enum: ['success', 'failure', 'denied'] })
  @IsOptional() @IsIn(['success', 'failure', 'denied'])
  result?: string;

  @ApiPropertyOptional({ description: 'resource path prefix, e.g. /api/jobs/' })
  @IsOptional() @IsString() @MaxLength(500)
  resource?: string;

  @ApiPropertyOptional({ description: 'ISO-8601, inclusive' })
  @IsOptional() @Type(() => Date) @IsDate()
  from?: Date;

  @ApiPropertyOptional({ description: 'ISO-8601, exclusive' })
  @IsOptional() @Type(() => Date) @IsDate()
  to?: Date;
}

import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsObject, IsOptional, IsString, IsUUID, MaxLength, ValidateNested } from 'class-validator';

export class ExportJobsFilter {
  @ApiPropertyOptional({ description: 'case-insensitive substring of the job name' })
  @IsOptional() @IsString() @MaxLength(200)
  name?: string;

  @ApiPropertyOptional()
  @IsOptional() @IsBoolean()
  enabled?: boolean;
}

/** `POST /api/jobs/export`: the jobs by id, or those matching a filter (`{}` = every job). */
export class ExportJobsDto {
  @ApiPropertyOptional({ type: [String] })
  @IsOptional() @IsArray() @ArrayMaxSize(1000) @IsUUID('all', { each: true })
  ids?: string[];

  @ApiPropertyOptional({ type: ExportJobsFilter })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => ExportJobsFilter)
  filter?: ExportJobsFilter;

  @ApiPropertyOptional({ enum: ['json', 'zip'], default: 'json' })
  @IsOptional() @IsIn(['json', 'zip'])
  format: 'json' | 'zip' = 'json';
}

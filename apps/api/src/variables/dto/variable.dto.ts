import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateIf } from 'class-validator';
import { PageQuery } from '../../jobs/dto/list-jobs.query';

export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NAME_MESSAGE = 'must match [A-Za-z_][A-Za-z0-9_]* (letters, digits, underscore; not starting with a digit)';

export class CreateVariableDto {
  @ApiProperty({ example: 'API_KEY' })
  @IsString() @MaxLength(128) @Matches(VARIABLE_NAME, { message: NAME_MESSAGE })
  name!: string;

  @ApiProperty()
  @IsString() @MaxLength(65_536)
  value!: string;

  @ApiPropertyOptional({ default: false, description: 'encrypted at rest, never returned in clear' })
  @IsOptional() @IsBoolean()
  is_sensitive?: boolean;

  @ApiPropertyOptional({ nullable: true, description: 'null or absent: a global variable' })
  @IsOptional() @ValidateIf((_o, v) => v !== null) @IsUUID()
  job_id?: string | null;
}

export class UpdateVariableDto {
  @ApiPropertyOptional()
  @IsOptional() @IsString() @MaxLength(128) @Matches(VARIABLE_NAME, { message: NAME_MESSAGE })
  name?: string;

  @ApiPropertyOptional()
  @IsOptional() @IsString() @MaxLength(65_536)
  value?: string;

  @ApiPropertyOptional()
  @IsOptional() @IsBoolean()
  is_sensitive?: boolean;
}

export class ListVariablesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['global', 'job'] })
  @IsOptional() @IsIn(['global', 'job'])
  scope?: 'global' | 'job';

  @ApiPropertyOptional()
  @IsOptional() @IsUUID()
  job_id?: string;
}

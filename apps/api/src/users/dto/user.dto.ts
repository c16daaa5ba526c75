import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PERMISSIONS } from '../../auth/permissions';

export class CreateUserDto {
  @ApiProperty({ example: 'alice' })
  @IsString() @Matches(/^[A-Za-z0-9._@-]{1,100}$/, { message: 'letters, digits and . _ @ - (1 to 100)' })
  username!: string;

  @ApiProperty({ minLength: 8 })
  @IsString() @MinLength(8) @MaxLength(200)
  password!: string;

  @ApiProperty({ example: ['Regular User'] })
  @IsArray() @ArrayMaxSize(50) @IsString({ each: true })
  roles!: string[];

  @ApiPropertyOptional({ description: 'the user must change the password at first login (default true)' })
  @IsOptional() @IsBoolean()
  must_change_password?: boolean;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ description: 'false disables the user and revokes their tokens' })
  @IsOptional() @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ description: 'a new password (reset); revokes the user’s tokens' })
  @IsOptional() @IsString() @MinLength(8) @MaxLength(200)
  password?: string;

  @ApiPropertyOptional()
  @IsOptional() @IsBoolean()
  must_change_password?: boolean;
}

export class SetRolesDto {
  @ApiProperty({ example: ['Regular User'] })
  @IsArray() @ArrayMaxSize(50) @IsString({ each: true })
  roles!: string[];
}

export class CreateRoleDto {
  @ApiProperty({ example: 'Operator' })
  @IsString() @IsNotEmpty() @MaxLength(100)
  name!: string;

  @ApiProperty({ enum: PERMISSIONS, isArray: true })
  @IsArray() @IsIn(PERMISSIONS, { each: true })
  permissions!: string[];
}

export class UpdateRoleDto {
  @ApiProperty({ enum: PERMISSIONS, isArray: true })
  @IsArray() @IsIn(PERMISSIONS, { each: true })
  permissions!: string[];
}

import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength, MinLength } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: 'admin' })
  @IsString() @IsNotEmpty() @MaxLength(200)
  username!: string;

  @ApiProperty({ example: 'admin123' })
  @IsString() @IsNotEmpty() @MaxLength(200)
  password!: string;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString() @IsNotEmpty() @MaxLength(200)
  current_password!: string;

  @ApiProperty({ minLength: 8 })
  @IsString() @MinLength(8) @MaxLength(200)
  new_password!: string;
}

import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { AuthUser } from './auth-user';
import { CurrentUser, Public, RequirePermissions } from './auth.decorators';
import { AuthService, type LoginAnswer } from './auth.service';
import { ChangePasswordDto, LoginDto } from './dto/login.dto';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in (AUTH_MODE=database): an access token to send as `Authorization: Bearer <token>`' })
  @ApiResponse({ status: 401, description: 'wrong username or password (the answer never says which)' })
  @ApiResponse({ status: 429, description: 'too many failed logins from this address; see Retry-After' })
  login(@Body() body: LoginDto, @Req() req: Request): Promise<LoginAnswer> {
    return this.auth.login(body.username, body.password, req);
  }

  @Post('change-password')
  @RequirePermissions()
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: "Change the caller's own password; their other tokens are revoked" })
  async changePassword(@CurrentUser() user: AuthUser, @Body() body: ChangePasswordDto): Promise<void> {
    await this.auth.changePassword(user, body.current_password, body.new_password);
  }

  @Get('me')
  @RequirePermissions()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The caller: id, username, roles, permissions' })
  me(@CurrentUser() user: AuthUser): AuthUser {
    return user;
  }
}

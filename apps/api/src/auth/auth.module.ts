import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { KeycloakTokenVerifier } from './keycloak-token.verifier';
import { LoginRateLimiter } from './login-rate-limiter';
import { TokenService } from './token.service';

/** Logins, tokens (database or Keycloak) and the global AuthGuard on every route. */
@Module({
  imports: [UsersModule],
  controllers: [AuthController],
  providers: [AuthService, TokenService, KeycloakTokenVerifier, LoginRateLimiter, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [AuthService, TokenService, KeycloakTokenVerifier],
})
export class AuthModule {}

import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { AuthUser } from './auth-user';
import type { Permission } from './permissions';

export const PERMISSIONS_KEY = 'vecron:permissions';
export const PUBLIC_KEY = 'vecron:public';

/** The permissions a route needs (all of them). Every route handler declares this or @Public(). */
export const RequirePermissions = (...permissions: Permission[]): MethodDecorator & ClassDecorator =>
  SetMetadata(PERMISSIONS_KEY, permissions);

/** A route open to anyone (health, metrics, webhook receive, login, dashboard login page and assets). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_KEY, true);

/** The authenticated caller (`request.user`); undefined on @Public routes called anonymously. */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthUser | undefined => {
  return ctx.switchToHttp().getRequest<Request & { user?: AuthUser }>().user;
});

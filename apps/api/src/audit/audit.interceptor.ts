import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth-user';
import { HttpErrorFilter } from '../errors/http-error.filter';
import { auditCaller, auditResource, AuditService } from './audit.service';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Routes that write their own, richer entries (logins). */
const SELF_AUDITED = new Set(['/api/auth/login']);

/**
 * Records every state-changing request once it is answered (success or failure), before the
 * answer leaves: `action` is the method and route pattern, `resource` the concrete path.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  private readonly errors = new HttpErrorFilter();

  constructor(private readonly audit: AuditService) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() !== 'http') return next.handle();
    const req = ctx.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    const res = ctx.switchToHttp().getResponse<Response>();
    if (!STATE_CHANGING.has(req.method) || SELF_AUDITED.has(req.path)) return next.handle();
    const action = `${req.method} ${(req.route as { path?: string } | undefined)?.path ?? req.path}`;
    const write = (status: number) =>
      this.audit.record({
        ...auditCaller(req, req.user),
        action,
        resource: auditResource(req),
        result: status < 400 ? 'success' : 'failure',
        status_code: status,
      });
    return from(
      (async () => {
        try {
          const value: unknown = await lastValueFrom(next.handle(), { defaultValue: undefined });
          await write(res.statusCode);
          return value;
        } catch (err) {
          await write(this.errors.toBody(err).statusCode);
          throw err;
        }
      })(),
    );
  }
}

import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppError } from '../errors/app-errors';
import { DashboardCsrfError, DashboardForbidden, DashboardSignInRequired } from './dashboard-page.errors';
import { DashboardViews } from './dashboard-view';

/** Errors of dashboard pages become pages: sign-in redirect, 403, 404, CSRF, others. */
@Catch()
export class DashboardPageFilter implements ExceptionFilter {
  private readonly logger = new Logger('DashboardPageFilter');

  constructor(private readonly views: DashboardViews) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const status = exception instanceof HttpException ? exception.getStatus() : exception instanceof AppError ? exception.status : 0;
    if (exception instanceof DashboardSignInRequired || status === 401) {
      // A session cookie that no longer signs in (expired, revoked): say so on the sign-in page.
      const expired = exception instanceof DashboardSignInRequired ? exception.expired : /(^|;\s*)vecron_session=[^;]/.test(req.headers.cookie ?? '');
      const target = `/?${expired ? 'expired=1&' : ''}next=${encodeURIComponent(req.originalUrl)}`;
      if (req.headers['hx-request'] === 'true') {
        res.setHeader('HX-Redirect', target);
        res.status(401).end();
      } else res.redirect(303, target);
      return;
    }
    const page = this.views.page(req, res);
    if (exception instanceof DashboardForbidden || status === 403) {
      this.views.render(res, 'error.njk', page, { code: 403, title: page.i18n.t('error.403.title'), body: page.i18n.t('error.403.body') }, 403);
      return;
    }
    if (status === 404) {
      this.views.render(res, 'error.njk', page, { code: 404, title: page.i18n.t('error.404.title'), body: page.i18n.t('error.404.body') }, 404);
      return;
    }
    if (exception instanceof DashboardCsrfError) {
      this.views.render(res, 'error.njk', page, { code: 403, title: page.i18n.t('error.403.title'), body: page.i18n.t('error.csrf') }, 403);
      return;
    }
    const message = exception instanceof AppError && status < 500 ? exception.message : 'internal error';
    if (!(exception instanceof AppError) || status >= 500) this.logger.error({ err: exception }, 'dashboard page failed');
    this.views.render(res, 'error.njk', page, { code: status || 500, title: String(status || 500), body: page.i18n.t('error.generic', { message }) }, status || 500);
  }
}

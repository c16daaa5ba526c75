import { Injectable } from '@nestjs/common';
import { randomBytes, timingSafeEqual } from 'crypto';
import type { Request, Response } from 'express';
import nunjucks from 'nunjucks';
import path from 'path';
import { DEFAULT_TIMEZONE, type Schedule } from '@vecron/definitions';
import { DashboardAuth, hasPermission, isAdmin, type DashboardUser } from './dashboard-auth.adapter';
import { LANG_COOKIE, negotiateLocale, Translator } from './i18n/i18n';

/** Templates and assets are read from the source folder (the same path from src/ and dist/). */
export const DASHBOARD_SOURCE_DIR = path.resolve(__dirname, '..', '..', 'src', 'dashboard');
export const CSRF_COOKIE = 'vecron_csrf';
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/** No inline script or style anywhere: every script and stylesheet is a file served by vecron. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "object-src 'none'",
].join('; ');

/** What every page gets: the user, the language, the CSRF token. */
export interface PageContext {
  req: Request;
  user: DashboardUser | null;
  i18n: Translator;
  csrf: string;
}

type Cookies = Record<string, string | undefined>;
const cookiesOf = (req: Request): Cookies => (req as Request & { cookies?: Cookies }).cookies ?? {};

/** Whether cookies get `Secure`: the request came over TLS (directly or through a proxy saying so). */
export function isTls(req: Request): boolean {
  return req.secure || String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]?.trim() === 'https';
}

export function setSecurityHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'same-origin');
}

/** Renders the dashboard's nunjucks templates (autoescaped) with the page context. */
@Injectable()
export class DashboardViews {
  private readonly env: nunjucks.Environment;

  constructor(private readonly auth: DashboardAuth) {
    this.env = new nunjucks.Environment(new nunjucks.FileSystemLoader(path.join(DASHBOARD_SOURCE_DIR, 'templates')), {
      autoescape: true,
      throwOnUndefined: false,
    });
    this.env.addFilter('json', (v: unknown) => JSON.stringify(v, null, 2));
  }

  /**
   * The context of a request. Sets the CSRF cookie (double-submit: a random value in an
   * HttpOnly SameSite=Strict cookie that every form and HTMX request must repeat).
   */
  page(req: Request, res: Response): PageContext {
    const cookies = cookiesOf(req);
    let csrf = cookies[CSRF_COOKIE];
    if (!csrf || !/^[A-Za-z0-9_-]{43}$/.test(csrf)) {
      csrf = randomBytes(32).toString('base64url');
      res.cookie(CSRF_COOKIE, csrf, { httpOnly: true, sameSite: 'strict', secure: isTls(req), path: '/' });
    }
    const locale = negotiateLocale(cookies[LANG_COOKIE], req.headers['accept-language']);
    return { req, user: this.auth.userOf(req), i18n: new Translator(locale), csrf };
  }

  /** Whether a state-changing request repeats the CSRF cookie (form field or header). */
  csrfValid(req: Request): boolean {
    const cookie = cookiesOf(req)[CSRF_COOKIE];
    const body = req.body as Record<string, unknown> | undefined;
    const sent = req.headers[CSRF_HEADER] ?? (typeof body?.[CSRF_FIELD] === 'string' ? body[CSRF_FIELD] : undefined);
    if (!cookie || typeof sent !== 'string' || sent.length !== cookie.length) return false;
    return timingSafeEqual(Buffer.from(sent), Buffer.from(cookie));
  }

  renderString(name: string, page: PageContext, data: Record<string, unknown> = {}): string {
    const { i18n, user } = page;
    return this.env.render(name, {
      ...data,
      t: (key: string, params?: Record<string, string | number>) => i18n.t(key, params),
      dt: (v: Date | string | null | undefined, zone?: string | null) => i18n.dateTime(v, zone || DEFAULT_TIMEZONE),
      utc: (v: Date | string | null | undefined) => (v ? new Date(v).toISOString() : ''),
      num: (n: number) => i18n.number(n),
      pct: (r: number) => i18n.percent(r),
      dur: (ms: number | null) => i18n.duration(ms),
      scheduleWords: (schedule: Schedule | null) => i18n.schedule(schedule),
      pageUrl: (n: number) => {
        const u = new URL(page.req.originalUrl, 'http://x');
        u.searchParams.set('page', String(n));
        return `${u.pathname}${u.search}`;
      },
      can: (p: string) => hasPermission(user, p),
      locale: i18n.locale,
      user,
      admin: isAdmin(user),
      csrf: page.csrf,
      csrfField: CSRF_FIELD,
      path: page.req.path,
      url: page.req.originalUrl,
      isHtmx: page.req.headers['hx-request'] === 'true',
    });
  }

  render(res: Response, name: string, page: PageContext, data: Record<string, unknown> = {}, status = 200): void {
    const html = this.renderString(name, page, data);
    setSecurityHeaders(res);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Vary', 'Cookie, Accept-Language, HX-Request');
    res.status(status).type('html').send(html);
  }
}

import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { isValidTimeZone, upcomingFires, validateJobDefinition, type Schedule } from '@vecron/definitions';
import type { ExecutorRegistry } from '@vecron/executors';
import { AuditRepository } from '../audit/audit.repository';
import { Public, RequirePermissions } from '../auth/auth.decorators';
import { BUILT_IN_ROLES, SEE_ALL_EXECUTIONS } from '../auth/permissions';
import { API_CONFIG, type ApiEnv } from '../config/api.env';
import { maskSetting } from '../system/system-config.controller';
import { UsersService } from '../users/users.service';
import { ConflictError, NotFoundError, RequestValidationError } from '../errors/app-errors';
import { ExecutionsService } from '../executions/executions.service';
import { HealthService } from '../health/health.service';
import { JobsService } from '../jobs/jobs.service';
import { asStepTypeCatalog, InjectStepTypes } from '../jobs/step-types';
import { VariablesService } from '../variables/variables.service';
import { WebhooksService } from '../webhooks/webhooks.service';
import { DashboardAuth, SESSION_COOKIE } from './dashboard-auth.adapter';
import { DashboardCsrfError, DashboardForbidden, DashboardSignInRequired } from './dashboard-page.errors';
import { DashboardPageFilter } from './dashboard-page.filter';
import { DashboardViews, isTls, type PageContext } from './dashboard-view';
import { DashboardService, type JobStatusFilter } from './dashboard.service';
import { LANG_COOKIE, isLocale } from './i18n/i18n';

export const VECRON_VERSION = '0.1.0';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATUSES = ['pending', 'running', 'success', 'failed', 'timeout', 'cancelled', 'dead_letter'];
const TRIGGERS = ['scheduled', 'manual', 'webhook', 'retry', 'replay'];
const TERMINAL = ['success', 'failed', 'timeout', 'cancelled', 'dead_letter'];

type Form = Record<string, string | undefined>;

/** Only a path of this site (never `//host` or a full URL): where to go after signing in. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) && !next.startsWith('/login') ? next : '/jobs';
}

const pageNumber = (v: unknown): number => {
  const n = Number(v);
  return Number.isInteger(n) && n >= 1 && n <= 100_000 ? n : 1;
};
const dateParam = (v: unknown): Date | undefined => {
  if (typeof v !== 'string' || !v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
};

/** The dashboard's pages: server-rendered HTML, forms that work without JavaScript, HTMX partials. */
@ApiExcludeController()
@UseFilters(DashboardPageFilter)
@Controller()
export class DashboardController {
  constructor(
    private readonly views: DashboardViews,
    private readonly auth: DashboardAuth,
    private readonly data: DashboardService,
    private readonly jobs: JobsService,
    private readonly executions: ExecutionsService,
    private readonly health: HealthService,
    private readonly variables: VariablesService,
    private readonly webhooks: WebhooksService,
    private readonly users: UsersService,
    private readonly audit: AuditRepository,
    @Inject(API_CONFIG) private readonly config: ApiEnv,
    @InjectStepTypes() private readonly stepTypes: ExecutorRegistry,
  ) {}

  // ---- sign-in ----

  @Get()
  @Public()
  async login(@Req() req: Request, @Res() res: Response, @Query() q: Form): Promise<void> {
    const page = this.views.page(req, res);
    if (page.user) return res.redirect(303, safeNext(q['next']));
    await this.renderLogin(res, page, 200, { expired: q['expired'] === '1', signedOut: q['signed_out'] === '1', next: q['next'] ?? '', ...(q['sso_failed'] === '1' ? { error: page.i18n.t('login.sso_failed') } : {}) });
  }

  @Post('login')
  @Public()
  async signIn(@Req() req: Request, @Res() res: Response, @Body() body: Form): Promise<void> {
    const page = this.views.page(req, res);
    if (!this.views.csrfValid(req)) return this.renderLogin(res, page, 403, { error: page.i18n.t('error.csrf') });
    const username = (body['username'] ?? '').trim();
    const password = body['password'] ?? '';
    if (!username || !password) return this.renderLogin(res, page, 400, { error: page.i18n.t('login.failed'), username });
    const outcome = await this.auth.login(username, password, req);
    if (!outcome.ok) {
      if (outcome.reason === 'rate_limited') {
        res.setHeader('Retry-After', String(outcome.retryAfterSeconds));
        return this.renderLogin(res, page, 429, { error: page.i18n.t('login.rate_limited', { seconds: outcome.retryAfterSeconds }), username });
      }
      return this.renderLogin(res, page, 401, { error: page.i18n.t('login.failed'), username });
    }
    this.setSession(req, res, outcome.token, outcome.expiresInSeconds);
    res.redirect(303, outcome.mustChangePassword ? `/account/password?next=${encodeURIComponent(safeNext(body['next']))}` : safeNext(body['next']));
  }

  @Post('logout')
  @Public()
  signOut(@Req() req: Request, @Res() res: Response): void {
    if (!this.views.csrfValid(req)) throw new DashboardCsrfError();
    res.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: isTls(req) });
    res.redirect(303, '/?signed_out=1');
  }

  @Get('account/password')
  @RequirePermissions()
  changePasswordPage(@Req() req: Request, @Res() res: Response, @Query('next') next?: string): void {
    const page = this.signedIn(req, res);
    this.views.render(res, 'change-password.njk', page, { next: safeNext(next) });
  }

  @Post('account/password')
  @RequirePermissions()
  async changePassword(@Req() req: Request, @Res() res: Response, @Body() body: Form): Promise<void> {
    const page = this.signedIn(req, res);
    if (!this.views.csrfValid(req)) throw new DashboardCsrfError();
    const next = body['new_password'] ?? '';
    const problem = next.length < 8 ? 'at least 8 characters' : await this.auth.changePassword(page.user!, body['current_password'] ?? '', next);
    if (problem) return this.views.render(res, 'change-password.njk', page, { error: page.i18n.t('login.change_failed', { message: problem }), next: body['next'] }, 400);
    // The change revokes the user's tokens: sign in again with the new password.
    const outcome = await this.auth.login(page.user!.username, next, req);
    if (outcome.ok) this.setSession(req, res, outcome.token, outcome.expiresInSeconds);
    res.redirect(303, outcome.ok ? safeNext(body['next']) : '/');
  }

  /** The language switch: remembered for a year in a cookie. */
  @Get('lang/:code')
  @Public()
  language(@Param('code') code: string, @Query('next') next: string, @Req() req: Request, @Res() res: Response): void {
    if (isLocale(code)) res.cookie(LANG_COOKIE, code, { sameSite: 'strict', secure: isTls(req), path: '/', maxAge: 365 * 86_400_000 });
    res.redirect(303, typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : '/');
  }

  // ---- jobs ----

  @Get('jobs')
  @RequirePermissions('job:read')
  async jobsPage(@Req() req: Request, @Res() res: Response, @Query() q: Form): Promise<void> {
    const page = this.require(req, res, 'job:read');
    const status = (['enabled', 'disabled', 'running'] as const).find((s) => s === q['status']) as JobStatusFilter | undefined;
    const filter = { q: (q['q'] ?? '').trim().slice(0, 200), status, page: pageNumber(q['page']) };
    const list = await this.data.listJobs(filter);
    const template = req.headers['hx-request'] === 'true' && req.headers['hx-target'] === 'jobs-table' ? '_jobs-table.njk' : 'jobs.njk';
    this.views.render(res, template, page, { list, filter, flash: this.flash(page, q) });
  }

  @Get('jobs/new')
  @RequirePermissions('job:write')
  builderNew(@Req() req: Request, @Res() res: Response): void {
    const page = this.require(req, res, 'job:write');
    this.views.render(res, 'builder.njk', page, { job: null, definition: null, stepTypes: this.stepTypes.types() });
  }

  @Get('jobs/:id')
  @RequirePermissions('job:read')
  async jobPage(@Param('id') id: string, @Req() req: Request, @Res() res: Response, @Query() q: Form): Promise<void> {
    const page = this.require(req, res, 'job:read');
    this.uuid(id);
    const { job, definition, nextFires } = await this.data.job(id);
    const recent = await this.data.listExecutions({ jobId: id, page: 1, triggeredBy: this.ownOnly(page) }, 10);
    this.views.render(res, 'job.njk', page, { job, definition, nextFires, recent, flash: this.flash(page, q), timezone: job.timezone });
  }

  @Get('jobs/:id/edit')
  @RequirePermissions('job:write')
  async builderEdit(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const page = this.require(req, res, 'job:write');
    this.uuid(id);
    const { job, definition } = await this.data.job(id);
    this.views.render(res, 'builder.njk', page, { job, definition, stepTypes: this.stepTypes.types() });
  }

  @Post('jobs/:id/trigger')
  @RequirePermissions('job:execute')
  async trigger(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const page = this.action(req, res, 'job:execute', id);
    try {
      const { execution_id } = await this.triggerAs(id, page);
      res.redirect(303, `/jobs/${id}?msg=triggered&execution=${execution_id}`);
    } catch (err) {
      if (err instanceof ConflictError) return res.redirect(303, `/jobs/${id}?msg=conflict`);
      throw err;
    }
  }

  @Post('jobs/:id/enable')
  @RequirePermissions('job:write')
  async enable(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const page = this.action(req, res, 'job:write', id);
    await this.jobs.setEnabled(id, true, page.user!);
    res.redirect(303, `${this.back(req)}?msg=updated`);
  }

  @Post('jobs/:id/disable')
  @RequirePermissions('job:write')
  async disable(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const page = this.action(req, res, 'job:write', id);
    await this.jobs.setEnabled(id, false, page.user!);
    res.redirect(303, `${this.back(req)}?msg=updated`);
  }

  @Post('jobs/:id/delete')
  @RequirePermissions('job:delete')
  async remove(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.action(req, res, 'job:delete', id);
    await this.jobs.remove(id);
    res.redirect(303, '/jobs?msg=deleted');
  }

  // ---- builder helpers (HTMX / fetch) ----

  /** The next 5 fires of a schedule in its zone (HTML fragment for the builder's preview). */
  @Post('builder/preview')
  @RequirePermissions('job:write')
  preview(@Req() req: Request, @Res() res: Response, @Body() body: Form): void {
    const page = this.require(req, res, 'job:write');
    if (!this.views.csrfValid(req)) throw new DashboardCsrfError();
    let schedule: Schedule | null = null;
    let error: string | null = null;
    const zone = body['timezone'] && isValidTimeZone(body['timezone']) ? body['timezone'] : 'Asia/Ho_Chi_Minh';
    try {
      schedule = JSON.parse(body['schedule'] ?? 'null') as Schedule | null;
    } catch (err) {
      error = (err as Error).message;
    }
    let fires: Date[] = [];
    if (schedule && !error) {
      const result = validateJobDefinition(
        { name: 'preview', schedule, steps: [{ id: 'x', name: 'x', type: 'http', config: { method: 'GET', url: 'http://x.invalid' } }] },
        asStepTypeCatalog(this.stepTypes),
      );
      const problem = result.ok ? undefined : result.errors.find((e) => e.path.startsWith('schedule'));
      if (problem) error = `${problem.path}: ${problem.message}`;
      else {
        try {
          fires = upcomingFires(result.ok ? result.definition.schedule ?? null : schedule, new Date(), 5);
        } catch (err) {
          error = (err as Error).message;
        }
      }
    }
    this.views.render(res, '_preview.njk', page, { fires, error, zone });
  }

  /** Validates a definition with the API's validator: `{ok, errors: [{path, message}]}`. */
  @Post('builder/validate')
  @RequirePermissions('job:write')
  validate(@Req() req: Request, @Res() res: Response, @Body() body: { definition?: unknown }): void {
    this.require(req, res, 'job:write');
    if (!this.views.csrfValid(req)) throw new DashboardCsrfError();
    try {
      this.jobs.validate(body?.definition);
      res.json({ ok: true, errors: [] });
    } catch (err) {
      if (err instanceof RequestValidationError) res.json({ ok: false, errors: err.details ?? [] });
      else throw err;
    }
  }

  // ---- executions ----

  @Get('executions')
  @RequirePermissions('execution:read')
  async executionsPage(@Req() req: Request, @Res() res: Response, @Query() q: Form): Promise<void> {
    const page = this.require(req, res, 'execution:read');
    const filter = {
      jobId: q['job_id'] && UUID.test(q['job_id']) ? q['job_id'] : undefined,
      status: STATUSES.includes(q['status'] ?? '') ? q['status'] : undefined,
      triggerSource: TRIGGERS.includes(q['trigger'] ?? '') ? q['trigger'] : undefined,
      from: dateParam(q['from']),
      to: dateParam(q['to']),
      page: pageNumber(q['page']),
      triggeredBy: this.ownOnly(page),
    };
    const list = await this.data.listExecutions(filter);
    const template = req.headers['hx-request'] === 'true' && req.headers['hx-target'] === 'executions-table' ? '_executions-table.njk' : 'executions.njk';
    this.views.render(res, template, page, { list, q, statuses: STATUSES, triggers: TRIGGERS, filter });
  }

  @Get('executions/:id')
  @RequirePermissions('execution:read')
  async executionPage(@Param('id') id: string, @Req() req: Request, @Res() res: Response, @Query() q: Form): Promise<void> {
    const page = this.require(req, res, 'execution:read');
    this.uuid(id);
    const detail = await this.data.execution(id);
    const own = this.ownOnly(page);
    // Like the API: an execution the user may not see does not exist for them.
    if (own && detail.row.triggered_by_id !== own) throw new NotFoundError(`execution ${id} not found`);
    const steps = (detail.definition?.steps ?? []).map((s) => {
      const state = detail.context?.steps?.[s.id];
      const started = state?.started_at ? new Date(state.started_at) : null;
      const completed = state?.completed_at ? new Date(state.completed_at) : null;
      return { id: s.id, name: s.name, type: s.type, state, duration_ms: started && completed ? completed.getTime() - started.getTime() : null };
    });
    // Every attempt of every step (execution_attempts), shown in the step's timeline entry.
    const attempts = (await this.executions.get(id, page.user!)).attempts ?? [];
    const withAttempts = steps.map((s) => ({ ...s, attempts: attempts.filter((a) => a.step_id === s.id) }));
    const replayable = TERMINAL.includes(detail.execution.status);
    const template = req.headers['hx-request'] === 'true' ? '_execution-main.njk' : 'execution.njk';
    const flash = q['msg'] === 'replay_conflict' ? page.i18n.t('exec.replay_conflict', { message: (q['reason'] ?? '').slice(0, 300) }) : this.flash(page, q);
    this.views.render(res, template, page, { ...detail, steps: withAttempts, replayable, flash, timezone: detail.row.timezone });
  }

  /** Replays a finished execution (from its failed step or from the start) as a new one, and opens it. */
  @Post('executions/:id/replay')
  @RequirePermissions('job:execute')
  async replay(@Param('id') id: string, @Req() req: Request, @Res() res: Response, @Body() body: Form): Promise<void> {
    const page = this.action(req, res, 'job:execute', id);
    const from = body['from'] === 'start' ? 'start' : 'failed_step';
    try {
      const { execution_id } = await this.executions.replay(id, from, page.user!);
      res.redirect(303, `/executions/${execution_id}?msg=replayed`);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      res.redirect(303, `/executions/${id}?msg=replay_conflict&reason=${encodeURIComponent(err.message)}`);
    }
  }

  @Post('executions/:id/stop')
  @RequirePermissions('execution:stop')
  async stop(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const page = this.require(req, res, 'execution:stop');
    if (!this.views.csrfValid(req)) throw new DashboardCsrfError();
    this.uuid(id);
    try {
      await this.executions.stop(id, page.user!);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
    res.redirect(303, `/executions/${id}?msg=stop`);
  }

  @Get('executions/:id/files/:index')
  @RequirePermissions('execution:read')
  async file(@Param('id') id: string, @Param('index') index: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.require(req, res, 'execution:read');
    this.uuid(id);
    const f = await this.data.file(id, Number(index));
    res.setHeader('Content-Type', f.mime);
    res.setHeader('Content-Length', String(f.size));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.attachment(f.filename);
    f.stream.pipe(res);
  }

  // ---- variables, webhooks, admin pages ----

  @Get('variables')
  @RequirePermissions('variable:read')
  async variablesPage(@Req() req: Request, @Res() res: Response, @Query() q: Form): Promise<void> {
    const page = this.require(req, res, 'variable:read');
    await this.renderVariables(res, page, pageNumber(q['page']), this.flash(page, q));
  }

  @Post('variables')
  @RequirePermissions('variable:write')
  async createVariable(@Req() req: Request, @Res() res: Response, @Body() body: Form): Promise<void> {
    const page = this.require(req, res, 'variable:write');
    if (!this.views.csrfValid(req)) throw new DashboardCsrfError();
    const sensitive = body['is_sensitive'] === 'on';
    if (sensitive && !this.can(page, 'variable:encrypt')) throw new DashboardForbidden('variable:encrypt');
    const jobId = body['job_id'] && UUID.test(body['job_id']) ? body['job_id'] : null;
    try {
      await this.variables.create({ name: (body['name'] ?? '').trim(), value: body['value'] ?? '', is_sensitive: sensitive, job_id: jobId }, page.user!);
    } catch (err) {
      if (err instanceof RequestValidationError || err instanceof ConflictError) {
        const message = err.details?.length ? err.details.map((d) => `${d.path}: ${d.message}`).join('; ') : err.message;
        return this.renderVariables(res, page, 1, null, message, body, 400);
      }
      throw err;
    }
    res.redirect(303, '/variables?msg=updated');
  }

  @Post('variables/:id/delete')
  @RequirePermissions('variable:write')
  async deleteVariable(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const page = this.require(req, res, 'variable:write');
    if (!this.views.csrfValid(req)) throw new DashboardCsrfError();
    this.uuid(id);
    await this.variables.remove(id, page.user!);
    res.redirect(303, '/variables?msg=updated');
  }

  @Get('webhooks')
  @RequirePermissions('webhook:read')
  async webhooksPage(@Req() req: Request, @Res() res: Response, @Query() q: Form): Promise<void> {
    const page = this.require(req, res, 'webhook:read');
    const list = await this.webhooks.list({ page: pageNumber(q['page']), page_size: 50 });
    this.views.render(res, 'webhooks.njk', page, { list, pages: Math.max(1, Math.ceil(list.total / 50)), current: list.page });
  }


  @Get('system')
  @RequirePermissions('system:config')
  async system(@Req() req: Request, @Res() res: Response): Promise<void> {
    const page = this.require(req, res, 'system:config');
    const config: Record<string, unknown> = {};
    for (const name of Object.keys(this.config).sort()) config[name] = maskSetting(name, (this.config as unknown as Record<string, unknown>)[name]);
    this.views.render(res, 'system.njk', page, { health: await this.health.check(), version: VECRON_VERSION, config });
  }

  @Get('users')
  @RequirePermissions('user:manage')
  async usersPage(@Req() req: Request, @Res() res: Response, @Query() q: Form): Promise<void> {
    const page = this.require(req, res, 'user:manage');
    await this.renderUsers(res, page, pageNumber(q['page']));
  }

  @Post('users')
  @RequirePermissions('user:manage')
  async createUser(@Req() req: Request, @Res() res: Response, @Body() body: Form): Promise<void> {
    const page = this.require(req, res, 'user:manage');
    if (!this.views.csrfValid(req)) throw new DashboardCsrfError();
    const role = BUILT_IN_ROLES.map((r) => r.name).find((r) => r === body['role']);
    try {
      await this.users.create({ username: (body['username'] ?? '').trim(), password: body['password'] ?? '', roles: role ? [role] : [] }, page.user!);
    } catch (err) {
      if (err instanceof RequestValidationError || err instanceof ConflictError) {
        const message = err.details?.length ? err.details.map((d) => `${d.path}: ${d.message}`).join('; ') : err.message;
        return this.renderUsers(res, page, 1, message, 400);
      }
      throw err;
    }
    res.redirect(303, '/users?msg=updated');
  }

  @Post('users/:id/enable')
  @RequirePermissions('user:manage')
  async enableUser(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const page = this.action(req, res, 'user:manage', id);
    await this.users.update(id, { enabled: true }, page.user!);
    res.redirect(303, '/users?msg=updated');
  }

  @Post('users/:id/disable')
  @RequirePermissions('user:manage')
  async disableUser(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const page = this.action(req, res, 'user:manage', id);
    await this.users.update(id, { enabled: false }, page.user!);
    res.redirect(303, '/users?msg=updated');
  }

  @Post('users/:id/delete')
  @RequirePermissions('user:manage')
  async deleteUser(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const page = this.action(req, res, 'user:manage', id);
    await this.users.remove(id, page.user!);
    res.redirect(303, '/users?msg=updated');
  }

  @Get('audit')
  @RequirePermissions('system:audit')
  async auditPage(@Req() req: Request, @Res() res: Response, @Query() q: Form): Promise<void> {
    const page = this.require(req, res, 'system:audit');
    const n = pageNumber(q['page']);
    const clean = (v: string | undefined) => (v && v.length <= 200 ? v : undefined);
    const list = await this.audit.list({
      username: clean(q['username']), action: clean(q['action']), result: ['success', 'failure', 'denied'].includes(q['result'] ?? '') ? q['result'] : undefined,
      page: n, pageSize: 50,
    });
    this.views.render(res, 'audit.njk', page, { list, q, pages: Math.max(1, Math.ceil(list.total / 50)), current: n });
  }

  // ---- helpers ----

  private async renderLogin(res: Response, page: PageContext, status: number, data: Record<string, unknown>): Promise<void> {
    let health = 'unknown';
    try {
      health = (await this.health.check()).status;
    } catch {
      health = 'degraded';
    }
    this.views.render(res, 'login.njk', page, { ...data, mode: this.auth.mode, version: VECRON_VERSION, health }, status);
  }

  private async renderVariables(res: Response, page: PageContext, n: number, flash: string | null, error?: string, form?: Form, status = 200): Promise<void> {
    const list = await this.variables.list({ page: n, page_size: 50 }, page.user!);
    this.views.render(res, 'variables.njk', page, { list, flash, error, form: form ?? {}, pages: Math.max(1, Math.ceil(list.total / 50)), current: n }, status);
  }

  /** A state-changing form: permission, CSRF token, a well-formed id. */
  private action(req: Request, res: Response, permission: string, id: string): PageContext {
    const page = this.require(req, res, permission);
    if (!this.views.csrfValid(req)) throw new DashboardCsrfError();
    this.uuid(id);
    return page;
  }

  /** The page the form was on (same site only), else the jobs list. */
  private back(req: Request): string {
    try {
      const ref = req.get('referer');
      return ref ? safeNext(new URL(ref, 'http://x').pathname) : '/jobs';
    } catch {
      return '/jobs';
    }
  }

  private triggerAs(id: string, page: PageContext): Promise<{ execution_id: string }> {
    return this.executions.triggerManual(id, undefined, page.user!);
  }

  private setSession(req: Request, res: Response, token: string, expiresInSeconds: number): void {
    res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: isTls(req), path: '/', maxAge: expiresInSeconds * 1000 });
  }

  private async renderUsers(res: Response, page: PageContext, n: number, error?: string, status = 200): Promise<void> {
    const list = await this.users.list(n, 50);
    const roles = BUILT_IN_ROLES.map((r) => r.name);
    this.views.render(res, 'users.njk', page, { list, roles, error, flash: this.flash(page, {}), pages: Math.max(1, Math.ceil(list.total / 50)), current: n }, status);
  }

  private can(page: PageContext, permission: string): boolean {
    return (page.user?.permissions ?? []).includes(permission);
  }

  private signedIn(req: Request, res: Response): PageContext {
    const page = this.views.page(req, res);
    if (!page.user) throw new DashboardSignInRequired(Boolean((req as Request & { cookies?: Record<string, string> }).cookies?.[SESSION_COOKIE]));
    return page;
  }

  private require(req: Request, res: Response, permission: string): PageContext {
    const page = this.signedIn(req, res);
    if (!page.user!.permissions.includes(permission)) throw new DashboardForbidden(permission);
    return page;
  }

  /** Like the API: without SEE_ALL_EXECUTIONS a user sees only the executions they triggered (their id). */
  private ownOnly(page: PageContext): string | undefined {
    return page.user!.permissions.includes(SEE_ALL_EXECUTIONS) ? undefined : page.user!.id;
  }

  private uuid(id: string): void {
    if (!UUID.test(id)) throw new NotFoundError('not found');
  }

  private flash(page: PageContext, q: Form): string | null {
    const key = { triggered: 'jobs.triggered', conflict: 'jobs.trigger_conflict', deleted: 'jobs.deleted', updated: 'jobs.updated', stop: 'exec.stop_requested', saved: 'builder.saved', export_none: 'jobs.export_none', replayed: 'exec.replayed' }[q['msg'] ?? ''];
    return key ? page.i18n.t(key) : null;
  }
}

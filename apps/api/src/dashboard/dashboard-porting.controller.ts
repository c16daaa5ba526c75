import { Body, Controller, Get, Param, Post, Req, Res, UseFilters, UseInterceptors } from '@nestjs/common';
import { AnyFilesInterceptor } from '@nestjs/platform-express';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { findSecretPlaceholders } from '@vecron/definitions';
import { RequirePermissions } from '../auth/auth.decorators';
import { NotFoundError, RequestValidationError } from '../errors/app-errors';
import { importItemsFromFiles, MAX_IMPORT_DEFINITIONS, MAX_IMPORT_FILE_BYTES, type UploadedImportFile } from '../porting/import-files';
import { JobExportService } from '../porting/job-export.service';
import { JobImportService, type ImportItem } from '../porting/job-import.service';
import { UnreadableFile } from '../porting/porting.util';
import { SESSION_COOKIE } from './dashboard-auth.adapter';
import { DashboardCsrfError, DashboardForbidden, DashboardSignInRequired } from './dashboard-page.errors';
import { DashboardPageFilter } from './dashboard-page.filter';
import { DashboardViews, setSecurityHeaders, type PageContext } from './dashboard-view';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A form field carrying the value of the secret `NAME` on the import page's second step. */
const SECRET_FIELD = 'secret-';

type Form = Record<string, string | string[] | undefined>;

/** An import item as the second step's hidden field carries it (an unreadable file keeps its reason). */
interface CarriedItem {
  source: string;
  value?: unknown;
  unreadable?: string;
}

const attachment = (fileName: string): string => `attachment; filename="${fileName.replace(/["\\\r\n]/g, '_')}"`;
const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);
const describe = (err: RequestValidationError): string => (err.details?.length ? err.details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ') : err.message);

/**
 * The dashboard's export buttons and import page. They call the porting services in-process (the
 * same code as `GET /api/jobs/:id/export`, `POST /api/jobs/export`, `POST /api/jobs/import`).
 * Import is two steps when the file holds `${SECRET:NAME}` placeholders: the page asks for their
 * values and saves nothing until they are given.
 */
@ApiExcludeController()
@UseFilters(DashboardPageFilter)
@Controller()
export class DashboardPortingController {
  constructor(
    private readonly views: DashboardViews,
    private readonly exporter: JobExportService,
    private readonly importer: JobImportService,
  ) {}

  /** One job's export file, downloaded (secrets replaced by placeholders). */
  @Get('jobs/:id/export')
  @RequirePermissions('job:export')
  async exportOne(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const page = this.require(req, res, 'job:export');
    if (!UUID.test(id)) throw new NotFoundError('not found');
    const { fileName, file } = await this.exporter.exportOne(id, page.user!.username);
    this.download(res, fileName, 'application/json', Buffer.from(`${JSON.stringify(file, null, 2)}\n`));
  }

  /** The jobs list's bulk export: the ticked jobs, or every job of the current search; JSON or ZIP. */
  @Post('jobs/export')
  @RequirePermissions('job:export')
  async exportMany(@Req() req: Request, @Res() res: Response, @Body() body: Form): Promise<void> {
    const page = this.require(req, res, 'job:export');
    if (!this.views.csrfValid(req)) throw new DashboardCsrfError();
    const format = body['format'] === 'zip' ? 'zip' : 'json';
    let dto;
    if (body['scope'] === 'all') {
      const name = text(body['q']).trim().slice(0, 200);
      const status = text(body['status']);
      const enabled = status === 'enabled' ? true : status === 'disabled' ? false : undefined;
      dto = { format, filter: { ...(name ? { name } : {}), ...(enabled !== undefined ? { enabled } : {}) } } as const;
    } else {
      const ids = list(body['ids']).filter((id) => UUID.test(id));
      if (ids.length === 0) return res.redirect(303, '/jobs?msg=export_none');
      dto = { format, ids } as const;
    }
    try {
      const { fileName, contentType, body: content } = await this.exporter.exportMany(dto, page.user!.username);
      this.download(res, fileName, contentType, content);
    } catch (err) {
      if (!(err instanceof RequestValidationError)) throw err;
      this.views.render(res, 'import.njk', page, { step: 'refused', message: page.i18n.t('jobs.export_refused', { message: describe(err) }) }, 400);
    }
  }

  @Get('import')
  @RequirePermissions('job:import')
  importPage(@Req() req: Request, @Res() res: Response): void {
    const page = this.require(req, res, 'job:import');
    this.views.render(res, 'import.njk', page, { step: 'upload' });
  }

  /**
   * Step 1 (a file): the documents are read; with placeholders, the page asks for the secrets;
   * without, the jobs are imported. Step 2 (`items` and `secret-NAME` fields): imported with the values.
   */
  @Post('import')
  @RequirePermissions('job:import')
  @UseInterceptors(AnyFilesInterceptor({ limits: { fileSize: MAX_IMPORT_FILE_BYTES, fieldSize: MAX_IMPORT_FILE_BYTES + 1024 * 1024, files: 5, fields: 1000 } }))
  async importFile(@Req() req: Request & { files?: UploadedImportFile[] }, @Res() res: Response, @Body() body: Form): Promise<void> {
    const page = this.require(req, res, 'job:import');
    if (!this.views.csrfValid(req)) throw new DashboardCsrfError();
    const fail = (message: string) => this.views.render(res, 'import.njk', page, { step: 'upload', error: message }, 400);

    let items: ImportItem[];
    const carried = typeof body?.['items'] === 'string';
    try {
      if (carried) items = this.uncarry(body['items'] as string);
      else {
        const files = (req.files ?? []).filter((f) => f.buffer.length > 0);
        if (files.length === 0) return fail(page.i18n.t('import.no_file'));
        items = await importItemsFromFiles(files);
      }
    } catch (err) {
      if (err instanceof RequestValidationError) return fail(page.i18n.t('import.refused', { message: describe(err) }));
      throw err;
    }
    if (items.length === 0) return fail(page.i18n.t('import.refused', { message: 'no job definition in the file' }));
    if (items.length > MAX_IMPORT_DEFINITIONS) return fail(page.i18n.t('import.refused', { message: `at most ${MAX_IMPORT_DEFINITIONS} definitions at once` }));

    // Placeholders: name → the documents using it.
    const placeholders = new Map<string, Set<string>>();
    for (const item of items) {
      if (item.value instanceof UnreadableFile) continue;
      for (const ref of findSecretPlaceholders(item.value)) placeholders.set(ref.name, (placeholders.get(ref.name) ?? new Set()).add(item.source));
    }
    const secrets: Record<string, string> = {};
    for (const name of placeholders.keys()) {
      const value = text(body?.[`${SECRET_FIELD}${name}`]);
      if (value !== '') Object.defineProperty(secrets, name, { value, enumerable: true });
    }
    if (placeholders.size > Object.keys(secrets).length) {
      const wanted = [...placeholders].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, sources]) => ({ name, field: `${SECRET_FIELD}${name}`, sources: [...sources].join(', ') }));
      return this.views.render(res, 'import.njk', page, {
        step: 'secrets', secrets: wanted, items: this.carry(items), error: carried ? page.i18n.t('import.secrets_missing') : null,
      }, carried ? 400 : 200);
    }
    const report = await this.importer.importAll(items, secrets, page.user!);
    this.views.render(res, 'import.njk', page, { step: 'report', report });
  }

  // ---- helpers ----

  private carry(items: readonly ImportItem[]): string {
    return JSON.stringify(items.map((i): CarriedItem => (i.value instanceof UnreadableFile ? { source: i.source, unreadable: i.value.reason } : { source: i.source, value: i.value })));
  }

  private uncarry(raw: string): ImportItem[] {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new RequestValidationError([{ path: 'items', message: 'not valid JSON' }]);
    }
    if (!Array.isArray(parsed)) throw new RequestValidationError([{ path: 'items', message: 'must be an array' }]);
    return parsed.map((raw: unknown, i): ImportItem => {
      const item = (raw ?? {}) as CarriedItem;
      const source = typeof item.source === 'string' ? item.source : `items[${i}]`;
      return typeof item.unreadable === 'string' ? { source, value: new UnreadableFile(item.unreadable) } : { source, value: item.value };
    });
  }

  private download(res: Response, fileName: string, contentType: string, content: Buffer): void {
    setSecurityHeaders(res);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Disposition', attachment(fileName));
    res.status(200).type(contentType).send(content);
  }

  private require(req: Request, res: Response, permission: string): PageContext {
    const page = this.views.page(req, res);
    if (!page.user) throw new DashboardSignInRequired(Boolean((req as Request & { cookies?: Record<string, string> }).cookies?.[SESSION_COOKIE]));
    if (!page.user.permissions.includes(permission)) throw new DashboardForbidden(permission);
    return page;
  }
}

import { Body, Controller, Get, HttpCode, Param, Post, Req, Res, StreamableFile, UseInterceptors } from '@nestjs/common';
import { AnyFilesInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, RequirePermissions } from '../auth/auth.decorators';
import type { AuthUser } from '../auth/auth-user';
import { isPlainObject } from './porting.util';
import { importItemsFromFiles, MAX_IMPORT_DEFINITIONS, MAX_IMPORT_FILE_BYTES, type UploadedImportFile } from './import-files';
import { RequestValidationError } from '../errors/app-errors';
import { UuidPipe } from '../errors/uuid.pipe';
import { ExportJobsDto } from './dto/export-jobs.dto';
import { JobExportService } from './job-export.service';
import { JobImportService, type ImportItem, type ImportReport } from './job-import.service';

export { MAX_IMPORT_DEFINITIONS, MAX_IMPORT_FILE_BYTES };

interface HeaderSink {
  setHeader(name: string, value: string): void;
}

const attachment = (fileName: string): string => `attachment; filename="${fileName.replace(/["\\\r\n]/g, '_')}"`;

@ApiTags('jobs')
@ApiBearerAuth()
@Controller('api/jobs')
export class JobsPortingController {
  constructor(private readonly exporter: JobExportService, private readonly importer: JobImportService) {}

  @Post('export')
  @RequirePermissions('job:export')
  @HttpCode(200)
  @ApiOperation({ summary: 'Export jobs (by ids or a filter) as one JSON array or a ZIP of one file per job; secrets replaced by ${SECRET:NAME} placeholders' })
  async exportMany(@Body() dto: ExportJobsDto, @CurrentUser() user: AuthUser, @Res({ passthrough: true }) res: HeaderSink): Promise<StreamableFile> {
    const { fileName, contentType, body } = await this.exporter.exportMany(dto, user.username);
    res.setHeader('Content-Disposition', attachment(fileName));
    return new StreamableFile(body, { type: contentType, length: body.length });
  }

  @Post('import')
  @RequirePermissions('job:import')
  @HttpCode(200)
  @UseInterceptors(AnyFilesInterceptor({ limits: { fileSize: MAX_IMPORT_FILE_BYTES, files: 20, fields: 10 } }))
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody({ description: 'JSON {definitions: [...], secrets: {NAME: value}}, or multipart: file(s) (a definition, an array, or a ZIP) and an optional `secrets` field (JSON)' })
  @ApiOperation({ summary: 'Import job definitions or export files; answers per job: created (id) or refused (every {path, message})' })
  async import(@Body() body: unknown, @Req() req: { files?: UploadedImportFile[] }, @CurrentUser() user: AuthUser): Promise<ImportReport> {
    const files = req.files ?? [];
    const fields = isPlainObject(body) ? body : {};
    const secrets = this.secrets(files.length > 0 ? parseJsonField(fields['secrets'], 'secrets') : fields['secrets']);
    const items: ImportItem[] = files.length > 0 ? await importItemsFromFiles(files) : this.fromJson(body);
    if (items.length === 0) throw new RequestValidationError([{ path: files.length > 0 ? 'file' : 'definitions', message: 'must contain at least one definition' }]);
    if (items.length > MAX_IMPORT_DEFINITIONS) {
      throw new RequestValidationError([{ path: 'definitions', message: `must contain at most ${MAX_IMPORT_DEFINITIONS} definitions` }]);
    }
    return this.importer.importAll(items, secrets, user);
  }

  @Get(':id/export')
  @RequirePermissions('job:export')
  @ApiOperation({ summary: 'Export one job as a file job-{name}-{timestamp}.json (secrets replaced by placeholders)' })
  async exportOne(@Param('id', UuidPipe) id: string, @CurrentUser() user: AuthUser, @Res({ passthrough: true }) res: HeaderSink): Promise<unknown> {
    const { fileName, file } = await this.exporter.exportOne(id, user.username);
    res.setHeader('Content-Disposition', attachment(fileName));
    return file;
  }

  private secrets(raw: unknown): Record<string, string> {
    if (raw === undefined || raw === null) return {};
    if (!isPlainObject(raw)) throw new RequestValidationError([{ path: 'secrets', message: 'must be an object of name to string value' }]);
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(raw)) {
      if (typeof value !== 'string') throw new RequestValidationError([{ path: `secrets.${name}`, message: 'must be a string' }]);
      Object.defineProperty(out, name, { value, enumerable: true });
    }
    return out;
  }

  private fromJson(body: unknown): ImportItem[] {
    if (!isPlainObject(body)) throw new RequestValidationError([{ path: '', message: 'must be {definitions: [...], secrets: {...}} or a multipart upload' }]);
    for (const key of Object.keys(body)) {
      if (key !== 'definitions' && key !== 'secrets') throw new RequestValidationError([{ path: key, message: 'is not allowed' }]);
    }
    const definitions = body['definitions'];
    if (!Array.isArray(definitions)) throw new RequestValidationError([{ path: 'definitions', message: 'must be an array of job definitions or export files' }]);
    return definitions.map((value: unknown, i) => ({ source: `definitions[${i}]`, value }));
  }
}

function parseJsonField(raw: unknown, path: string): unknown {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new RequestValidationError([{ path, message: 'must be a JSON object' }]);
  }
}

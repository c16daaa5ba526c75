import { Injectable, Logger } from '@nestjs/common';
import { JobsRepository, VariablesRepository, type JobRecord } from '@vecron/db';
import {
  extractSecrets,
  JOB_EXPORT_FORMAT_VERSION,
  jobExportFileName,
  secretPlaceholder,
  type ExportedVariable,
  type JobExport,
  type SecretReference,
} from '@vecron/definitions';
import type { ExecutorRegistry } from '@vecron/executors';
import { NotFoundError, RequestValidationError } from '../errors/app-errors';
import { JobsService } from '../jobs/jobs.service';
import { asStepTypeCatalog, InjectStepTypes } from '../jobs/step-types';
import { SYSTEM_VERSION } from '../version';
import type { ExportJobsDto } from './dto/export-jobs.dto';
import { writeZip } from './zip-archive';

/** Most jobs one bulk export returns. */
export const MAX_EXPORT_JOBS = 1000;
const PAGE = 200;

/**
 * Job export: the current definition with its job-scoped variables, every secret replaced by a
 * `${SECRET:NAME}` placeholder (literal secrets in step configs, found through the step config
 * classes, and the values of sensitive variables). The webhook secret is never in a stored
 * definition; an import issues a new one.
 */
@Injectable()
export class JobExportService {
  private readonly logger = new Logger(JobExportService.name);

  constructor(
    private readonly jobs: JobsService,
    private readonly jobRows: JobsRepository,
    private readonly variables: VariablesRepository,
    @InjectStepTypes() private readonly stepTypes: ExecutorRegistry,
  ) {}

  /** One job's export file and its file name. */
  async exportOne(id: string, exportedBy: string, now = new Date()): Promise<{ fileName: string; file: JobExport }> {
    const job = await this.jobs.require(id);
    return this.build(job, exportedBy, now);
  }

  /** Several jobs: one JSON array, or a ZIP with one file per job. */
  async exportMany(dto: ExportJobsDto, exportedBy: string, now = new Date()): Promise<{ fileName: string; contentType: string; body: Buffer }> {
    const rows = await this.select(dto);
    const files = [];
    for (const row of rows) files.push(await this.build(row, exportedBy, now));
    this.logger.log({ jobs: files.length, format: dto.format }, 'jobs exported');
    const stamp = jobExportFileName('jobs', now).replace(/^job-jobs-/, '').replace(/\.json$/, '');
    if (dto.format === 'zip') {
      const used = new Set<string>();
      const entries = files.map(({ fileName, file }) => {
        let name = fileName;
        for (let n = 2; used.has(name); n++) name = fileName.replace(/\.json$/, `-${n}.json`);
        used.add(name);
        return { name, content: `${JSON.stringify(file, null, 2)}\n` };
      });
      return { fileName: `jobs-${stamp}.zip`, contentType: 'application/zip', body: await writeZip(entries) };
    }
    const body = Buffer.from(`${JSON.stringify(files.map((f) => f.file), null, 2)}\n`);
    return { fileName: `jobs-${stamp}.json`, contentType: 'application/json', body };
  }

  private async select(dto: ExportJobsDto): Promise<JobRecord[]> {
    if (dto.ids !== undefined && dto.filter !== undefined) {
      throw new RequestValidationError([{ path: 'ids', message: 'give ids or filter, not both' }]);
    }
    if (dto.ids !== undefined) {
      const rows: JobRecord[] = [];
      const unknown: string[] = [];
      for (const id of [...new Set(dto.ids)]) {
        const row = await this.jobRows.findById(id);
        if (row) rows.push(row);
        else unknown.push(id);
      }
      if (unknown.length > 0) throw new NotFoundError(`job(s) not found: ${unknown.join(', ')}`);
      return rows;
    }
    const filter = dto.filter ?? {};
    const rows: JobRecord[] = [];
    for (let page = 1; ; page++) {
      const { items, total } = await this.jobRows.list({ name: filter.name, enabled: filter.enabled, page, pageSize: PAGE });
      rows.push(...items);
      if (total > MAX_EXPORT_JOBS) {
        throw new RequestValidationError([{ path: 'filter', message: `matches ${total} jobs; at most ${MAX_EXPORT_JOBS} are exported at once` }]);
      }
      if (items.length < PAGE) break;
    }
    return rows.reverse(); // oldest first
  }

  private async build(job: JobRecord, exportedBy: string, now: Date): Promise<{ fileName: string; file: JobExport }> {
    const stored = (await this.jobs.readDefinition(job)) as unknown as Record<string, unknown>;
    const rows = (await this.variables.list({ jobId: job.id, page: 1, pageSize: 1000 })).items;
    const secrets: SecretReference[] = [];
    const variables: ExportedVariable[] = rows.map((v, i) => {
      if (!v.is_sensitive) return { name: v.name, value: v.value ?? '', is_sensitive: false };
      secrets.push({ name: v.name, path: `variables[${i}].value` });
      return { name: v.name, value: secretPlaceholder(v.name), is_sensitive: true };
    });
    const { definition, secrets: configSecrets } = extractSecrets(stored, asStepTypeCatalog(this.stepTypes), rows.map((v) => v.name));
    secrets.push(...configSecrets.map((s) => ({ name: s.name, path: `definition.${s.path}` })));
    const file: JobExport = {
      format_version: JOB_EXPORT_FORMAT_VERSION,
      export_date: now.toISOString(),
      exported_by: exportedBy,
      system_version: SYSTEM_VERSION,
      definition,
      variables,
      secrets,
    };
    return { fileName: jobExportFileName(job.name, now), file };
  }
}

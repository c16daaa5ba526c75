import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'crypto';
import { JobsRepository, SecretCipherError, VariablesRepository, type Queryable } from '@vecron/db';
import { fillSecretPlaceholders, isJobExport, readJobDefinition, type JobDefinition, type ValidationIssue } from '@vecron/definitions';
import type { ExecutorRegistry } from '@vecron/executors';
import type { AuthUser } from '../auth/auth-user';
import { AppError } from '../errors/app-errors';
import { JobsService } from '../jobs/jobs.service';
import { asStepTypeCatalog, InjectStepTypes } from '../jobs/step-types';
import type { WebhookInfoDto } from '../webhooks/dto/webhook.dto';
import { UnreadableFile } from './porting.util';

/** One document to import: a definition (vecron's format or the legacy dialect) or an export file, and where it came from. */
export interface ImportItem {
  /** `definitions[2]`, `jobs.zip:job-a.json`, `upload.json[1]`. */
  source: string;
  value: unknown;
}

export type ImportResult =
  | {
      source: string;
      status: 'created';
      id: string;
      name: string;
      /** The name as written, when it was taken and the job got a `-copy-N` suffix. */
      renamed_from?: string;
      variables: number;
      warnings: ValidationIssue[];
      /** A new webhook secret, returned once (an import never carries the old one). */
      webhook?: WebhookInfoDto | null;
    }
  | { source: string; status: 'failed'; name?: string; errors: ValidationIssue[]; warnings: ValidationIssue[] };

export interface ImportReport {
  created: number;
  failed: number;
  results: ImportResult[];
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** How many `-copy-N` names are tried before the import of a job gives up. */
const MAX_COPIES = 1000;

interface ParsedVariable {
  name: string;
  value: string;
  is_sensitive: boolean;
}

/** The name was taken between the check and the insert (a concurrent import): try the next suffix. */
class NameTaken extends Error {}

/**
 * Job import, one job at a time and each on its own: the definition (and the job's variables) are
 * validated, placeholders filled from the request's `secrets`, and the job is created with its
 * definition objects, its row, its variables and its webhook in one transaction — or not at all.
 * A broken document fails alone; the report lists every job created (with its id) or refused (with
 * every `{path, message}`).
 */
@Injectable()
export class JobImportService {
  private readonly logger = new Logger(JobImportService.name);

  constructor(
    private readonly jobs: JobsService,
    private readonly jobRows: JobsRepository,
    private readonly variables: VariablesRepository,
    @InjectStepTypes() private readonly stepTypes: ExecutorRegistry,
  ) {}

  async importAll(items: readonly ImportItem[], secrets: Readonly<Record<string, string>>, user: AuthUser): Promise<ImportReport> {
    const results: ImportResult[] = [];
    for (const item of items) results.push(await this.importOne(item, secrets, user));
    const created = results.filter((r) => r.status === 'created').length;
    this.logger.log({ created, failed: results.length - created }, 'jobs imported');
    return { created, failed: results.length - created, results };
  }

  private async importOne(item: ImportItem, secrets: Readonly<Record<string, string>>, user: AuthUser): Promise<ImportResult> {
    const { source } = item;
    if (item.value instanceof UnreadableFile) return { source, status: 'failed', errors: [{ path: '', message: item.value.reason }], warnings: [] };
    const value = item.value;
    const envelope = isJobExport(value);
    const prefix = envelope ? 'definition' : '';
    const rawDefinition: unknown = envelope ? value.definition : value;
    const errors: ValidationIssue[] = [];
    const variables = envelope ? this.parseVariables(value.variables, errors) : [];

    const filled = fillSecretPlaceholders({ definition: rawDefinition, variables }, secrets);
    for (const m of filled.missing) errors.push(m);
    const read = readJobDefinition(filled.value.definition, asStepTypeCatalog(this.stepTypes));
    const at = (issue: ValidationIssue): ValidationIssue => ({ path: prefix === '' ? issue.path : issue.path === '' ? prefix : `${prefix}.${issue.path}`, message: issue.message });
    const warnings = read.warnings.map(at);
    const name = typeof (rawDefinition as { name?: unknown } | null)?.name === 'string' ? (rawDefinition as { name: string }).name : undefined;
    // Placeholders left in the definition would also be template errors: report them once, as missing secrets.
    if (!read.ok) errors.push(...read.errors.map(at).filter((e) => !filled.missing.some((m) => m.path === e.path)));
    if (errors.length > 0 || !read.ok) return { source, status: 'failed', ...(name ? { name } : {}), errors, warnings };

    const definition = read.definition;
    const wanted = definition.name;
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        const candidate = await this.freeName(wanted);
        try {
          const job = await this.jobs.create({ ...filled.value.definition as object, name: candidate }, user, {
            before: async (d: JobDefinition, tx: Queryable) => {
              if ((await this.jobRows.takenNames([d.name], tx, true)).size > 0) throw new NameTaken();
            },
            after: async (jobId: string, tx: Queryable) => {
              for (const v of filled.value.variables) await this.variables.insert(randomUUID(), { ...v, job_id: jobId }, tx);
            },
          });
          return {
            source,
            status: 'created',
            id: job.id,
            name: job.name,
            ...(candidate !== wanted ? { renamed_from: wanted } : {}),
            variables: filled.value.variables.length,
            warnings,
            ...(job.webhook !== undefined ? { webhook: job.webhook } : {}),
          };
        } catch (err) {
          if (!(err instanceof NameTaken)) throw err;
        }
      }
      return { source, status: 'failed', name: wanted, errors: [{ path: at({ path: 'name', message: '' }).path, message: 'could not find a free name (concurrent imports); try again' }], warnings };
    } catch (err) {
      return { source, status: 'failed', name: wanted, errors: this.describe(err, at), warnings };
    }
  }

  /** `name`, or the first of `name-copy-1`, `name-copy-2`… that no live job has. */
  private async freeName(name: string): Promise<string> {
    const BATCH = 50;
    for (let first = 0; first < MAX_COPIES; first += BATCH) {
      const batch = Array.from({ length: BATCH }, (_, i) => (first + i === 0 ? name : `${name}-copy-${first + i}`));
      const taken = await this.jobRows.takenNames(batch);
      const free = batch.find((n) => !taken.has(n));
      if (free !== undefined) return free;
    }
    return `${name}-copy-${randomUUID().slice(0, 8)}`;
  }

  private parseVariables(raw: unknown, errors: ValidationIssue[]): ParsedVariable[] {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) {
      errors.push({ path: 'variables', message: 'must be a list of {name, value, is_sensitive}' });
      return [];
    }
    const out: ParsedVariable[] = [];
    const seen = new Set<string>();
    raw.forEach((v: unknown, i) => {
      const path = `variables[${i}]`;
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return void errors.push({ path, message: 'must be an object {name, value, is_sensitive}' });
      const { name, value, is_sensitive: sensitive, ...rest } = v as Record<string, unknown>;
      for (const key of Object.keys(rest)) errors.push({ path: `${path}.${key}`, message: 'is not allowed' });
      if (typeof name !== 'string' || !VARIABLE_NAME.test(name) || name.length > 128) errors.push({ path: `${path}.name`, message: 'must match [A-Za-z_][A-Za-z0-9_]* (at most 128 characters)' });
      else if (seen.has(name)) errors.push({ path: `${path}.name`, message: `duplicate variable "${name}"` });
      if (typeof value !== 'string') errors.push({ path: `${path}.value`, message: 'must be a string' });
      if (sensitive !== undefined && typeof sensitive !== 'boolean') errors.push({ path: `${path}.is_sensitive`, message: 'must be a boolean' });
      if (typeof name === 'string' && typeof value === 'string') {
        seen.add(name);
        out.push({ name, value, is_sensitive: sensitive === true });
      }
    });
    return out;
  }

  private describe(err: unknown, at: (i: ValidationIssue) => ValidationIssue): ValidationIssue[] {
    if (err instanceof AppError && err.details && err.details.length > 0) return err.details.map(at);
    if (err instanceof AppError) return [{ path: '', message: err.message }];
    if (err instanceof SecretCipherError) return [{ path: 'variables', message: `cannot store a sensitive value: ${err.message}` }];
    if (err instanceof Error && err.name === 'VariableNameTakenError') return [{ path: 'variables', message: err.message }];
    this.logger.error({ err }, 'job import failed');
    return [{ path: '', message: `not imported: ${err instanceof Error ? err.message : String(err)}` }];
  }
}

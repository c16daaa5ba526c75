import { isPlainObject } from './json-value';
import type { SecretReference } from './job-secrets';

/**
 * The job export file (`GET /api/jobs/:id/export`, one item of a bulk export, `vecron export`):
 *
 * ```json
 * { "format_version": 1, "export_date": "2026-11-30T12:00:00.000Z", "exported_by": "admin",
 *   "system_version": "0.1.0",
 *   "definition": { …the job definition, secrets replaced by "${SECRET:NAME}"… },
 *   "variables": [ { "name": "API_KEY", "value": "${SECRET:API_KEY}", "is_sensitive": true } ],
 *   "secrets": [ { "name": "API_KEY", "path": "variables[0].value" } ] }
 * ```
 *
 * Import accepts such a file, or a bare definition (vecron's format or the legacy dialect).
 */
export const JOB_EXPORT_FORMAT_VERSION = 1;

/** A job-scoped variable in an export; a sensitive value is a placeholder. */
export interface ExportedVariable {
  name: string;
  value: string;
  is_sensitive: boolean;
}

export interface JobExport {
  format_version: number;
  export_date: string;
  exported_by: string;
  system_version: string;
  definition: Record<string, unknown>;
  variables: ExportedVariable[];
  /** Every placeholder in `definition` and `variables`: what an import must supply. */
  secrets: SecretReference[];
}

/** True for an export file (as opposed to a bare definition): it has `format_version` and a `definition` object. */
export function isJobExport(value: unknown): value is Partial<JobExport> & { definition: Record<string, unknown> } {
  return isPlainObject(value) && 'format_version' in value && isPlainObject(value['definition']);
}

/** `job-{name}-{timestamp}.json`: the name as a lower-case slug, the time as `20261130T120000Z`. */
export function jobExportFileName(name: string, at: Date): string {
  const slug = name.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'job';
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return `job-${slug}-${stamp}.json`;
}

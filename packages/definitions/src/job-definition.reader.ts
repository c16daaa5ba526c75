import { convertLegacyDialect } from './legacy-dialect.converter';
import { validateJobDefinition } from './job-definition.validator';
import type { JobDefinition } from './job-definition.model';
import type { StepTypeCatalog } from './step-type-catalog';
import type { ValidationIssue } from './validation-issue';

export type ReadJobDefinitionResult =
  | { ok: true; definition: JobDefinition; warnings: ValidationIssue[] }
  | { ok: false; errors: ValidationIssue[]; warnings: ValidationIssue[] };

/**
 * A job file as users write it → a valid definition: the legacy dialect is converted first
 * (convertLegacyDialect, with its warnings), then validated (validateJobDefinition). Error paths
 * point into the converted document; the warnings say what was moved.
 */
export function readJobDefinition(raw: unknown, catalog: StepTypeCatalog): ReadJobDefinitionResult {
  const { document, warnings } = convertLegacyDialect(raw);
  const result = validateJobDefinition(document, catalog);
  return result.ok ? { ok: true, definition: result.definition, warnings } : { ok: false, errors: result.errors, warnings };
}

import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { StepConfigError, type StepConfigIssue } from './errors';
import type { StepExecutor } from './step-executor';

/** Root of every issue path: paths are relative to the step (`config.method`). */
const ROOT = 'config';

/**
 * Validates a step config AFTER template resolution against the executor's
 * class-validator class. Unknown fields are rejected. Returns the typed instance
 * (with class defaults applied) or throws StepConfigError listing every wrong
 * field with its JSON path (`config.auth.token: must be a non-empty string`).
 * Messages never echo the offending values (they may be secrets).
 */
export function validateStepConfig<TConfig extends object>(
  executor: Pick<StepExecutor<TConfig, unknown>, 'type' | 'configClass'>,
  rawConfig: unknown,
): TConfig {
  if (rawConfig === null || typeof rawConfig !== 'object' || Array.isArray(rawConfig)) {
    throw new StepConfigError(executor.type, [{ path: ROOT, message: 'must be an object' }]);
  }
  const instance = plainToInstance(executor.configClass, rawConfig, { exposeDefaultValues: true });
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: true },
  });
  if (errors.length > 0) throw new StepConfigError(executor.type, toIssues(errors));
  return instance;
}

/** Flattens class-validator errors into `{path, message}` issues (one per broken rule). */
export function toIssues(errors: ValidationError[], prefix = ROOT, parentIsArray = false): StepConfigIssue[] {
  const issues: StepConfigIssue[] = [];
  for (const error of errors) {
    const path = parentIsArray ? `${prefix}[${error.property}]` : `${prefix}.${error.property}`;
    const constraints = Object.entries(error.constraints ?? {});
    // "nested property x must be either object or array" duplicates the IsObject rule.
    const relevant = constraints.length > 1 ? constraints.filter(([key]) => key !== 'nestedValidation') : constraints;
    for (const [key, message] of relevant) issues.push({ path, message: normalizeMessage(key, message, error.property) });
    issues.push(...toIssues(error.children ?? [], path, Array.isArray(error.value)));
  }
  return issues;
}

function normalizeMessage(key: string, message: string, property: string): string {
  if (key === 'whitelistValidation') return 'is not allowed';
  if (key === 'nestedValidation') return 'must be an object';
  // class-validator default messages start with the property name; the path already says it.
  return message.startsWith(`${property} `) ? message.slice(property.length + 1) : message;
}

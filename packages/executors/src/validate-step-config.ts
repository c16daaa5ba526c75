import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { StepConfigError, type StepConfigIssue } from './errors';
import type { StepExecutor } from './step-executor';

/** Root of every issue path: paths are relative to the step (`config.method`). */
const ROOT = 'config';

/**
 * `run` (default): the config after template resolution; every rule applies.
 * `save`: the config as written in a job definition; a value that is a string holding a
 * template (`{{…}}` or `${…}`) may become anything at run time, so the rules it breaks are
 * not reported now (the resolved value is checked at run). Every other rule applies, so a
 * config that passes at save with concrete values also passes at run.
 */
export type StepConfigMode = 'run' | 'save';

export interface ValidateStepConfigOptions {
  mode?: StepConfigMode;
}

/** `{{…}}` or `${…}`: a value resolved at run time. */
export function holdsTemplate(value: unknown): boolean {
  return typeof value === 'string' && (value.includes('{{') || value.includes('${'));
}

/**
 * Validates a step config against the executor's class-validator class (the one schema of the
 * step type). Unknown fields are rejected. Returns the typed instance (with class defaults
 * applied) or throws StepConfigError listing every wrong field with its JSON path
 * (`config.auth.token: must be a non-empty string`). Messages never echo the offending values
 * (they may be secrets).
 */
export function validateStepConfig<TConfig extends object>(
  executor: Pick<StepExecutor<TConfig, unknown>, 'type' | 'configClass'>,
  rawConfig: unknown,
  options: ValidateStepConfigOptions = {},
): TConfig {
  if (rawConfig === null || typeof rawConfig !== 'object' || Array.isArray(rawConfig)) {
    throw new StepConfigError(executor.type, [{ path: ROOT, message: 'must be an object' }]);
  }
  // class-transformer reads a nested `constructor` as a type (and crashes) and never copies
  // `__proto__`: both are refused wherever they are, free-form values included.
  const unsafe = unsafeKeys(rawConfig, ROOT);
  if (unsafe.length > 0) throw new StepConfigError(executor.type, unsafe);
  const instance = plainToInstance(executor.configClass, rawConfig, { exposeDefaultValues: true });
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: true },
  });
  const relevant = options.mode === 'save' ? withoutTemplated(errors) : errors;
  const issues = [...droppedKeys(rawConfig, instance, ROOT), ...toIssues(relevant)];
  if (issues.length > 0) throw new StepConfigError(executor.type, issues);
  return instance;
}

function keyPath(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** `__proto__` and `constructor` keys, at any depth. */
function unsafeKeys(value: unknown, path: string, depth = 0): StepConfigIssue[] {
  if (value === null || typeof value !== 'object') return [];
  if (depth > MAX_DEPTH) return [{ path, message: `is nested deeper than ${MAX_DEPTH} levels` }];
  if (Array.isArray(value)) return value.flatMap((item, i) => unsafeKeys(item, `${path}[${i}]`, depth + 1));
  const issues: StepConfigIssue[] = [];
  for (const key of Object.keys(value)) {
    if (key === '__proto__' || key === 'constructor') issues.push({ path: keyPath(path, key), message: 'is not allowed' });
    else issues.push(...unsafeKeys((value as Record<string, unknown>)[key], keyPath(path, key), depth + 1));
  }
  return issues;
}

/**
 * Keys named after other Object.prototype members (`toString`, `valueOf`…) in the objects that
 * became config-class instances: class-transformer leaves them out silently, so the whitelist
 * never sees them. (Inside free-form values they are ordinary data.)
 */
function droppedKeys(raw: unknown, instance: unknown, path: string): StepConfigIssue[] {
  if (Array.isArray(raw) && Array.isArray(instance)) return raw.flatMap((item, i) => droppedKeys(item, instance[i], `${path}[${i}]`));
  if (raw === null || typeof raw !== 'object' || instance === null || typeof instance !== 'object') return [];
  if (Object.getPrototypeOf(instance) === Object.prototype) return [];
  const issues: StepConfigIssue[] = [];
  for (const key of Object.keys(raw)) {
    if (key in Object.prototype) issues.push({ path: keyPath(path, key), message: 'is not allowed' });
    else issues.push(...droppedKeys((raw as Record<string, unknown>)[key], (instance as Record<string, unknown>)[key], keyPath(path, key)));
  }
  return issues;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** Deepest nesting accepted in a config (a saved definition is at most 100 levels deep). */
const MAX_DEPTH = 200;

/** Drops the errors of values that hold a template (and everything below them). */
function withoutTemplated(errors: ValidationError[]): ValidationError[] {
  const kept: ValidationError[] = [];
  for (const error of errors) {
    if (holdsTemplate(error.value)) continue;
    const children = withoutTemplated(error.children ?? []);
    const hasOwn = Object.keys(error.constraints ?? {}).some((k) => k !== 'nestedValidation');
    if (!hasOwn && children.length === 0) continue;
    kept.push(Object.assign(Object.create(Object.getPrototypeOf(error) as object) as ValidationError, error, { children }));
  }
  return kept;
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

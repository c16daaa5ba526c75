import {
  conditionStepReferences,
  ConditionSyntaxError,
  findStepReferences,
  findTemplateErrors,
  parseCondition,
} from '@vecron/context';
import { plainToInstance } from 'class-transformer';
import { type ValidationError, validateSync } from 'class-validator';
import { JobDefinition } from './job-definition.model';
import { cloneJson, defineKey, isPlainObject, NotJson } from './json-value';
import { UnknownSchedule } from './schedule.model';
import type { StepTypeCatalog } from './step-type-catalog';
import { childPath, isInside, joinPath, JobDefinitionValidationError, type ValidationIssue } from './validation-issue';

/**
 * validateJobDefinition: the submitted JSON → either the definition with defaults applied (a
 * plain JSON object, snake_case, safe to store) or every problem as `{path, message}`.
 *
 * Checks, in one pass (all issues are reported, not just the first):
 * 1. the job-level model (class-validator on JobDefinition and the classes it nests; unknown
 *    properties are rejected with `is not allowed`); class-validator's error tree is mapped to
 *    JSON paths;
 * 2. each step's `type` is a registered step type, and its `config` is checked by that step type
 *    (StepTypeCatalog.validateConfig, template-tolerant); paths are prefixed with `steps[i].config`;
 * 3. step ids unique (`steps[3].id: duplicate step id "fetch"`);
 * 4. templates in step configs parse (`@vecron/context` findTemplateErrors);
 * 5. a step refers (`{{steps.X...}}`, in its config or its condition) only to steps that run
 *    before it (`steps[1].config.url: refers to step "later" which does not run before this step`;
 *    `... which does not exist` for an unknown id);
 * 6. step conditions parse; the message carries the position.
 */

export type JobDefinitionValidationResult =
  | { ok: true; definition: JobDefinition }
  | { ok: false; errors: ValidationIssue[] };

/** Deepest nesting of a submitted document (guards the recursive transforms). */
const MAX_DOCUMENT_DEPTH = 100;

const NOT_ALLOWED = 'is not allowed';

function tooDeep(root: unknown): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value: root, depth: 0 }];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    if (value === null || typeof value !== 'object' || seen.has(value)) continue;
    if (depth > MAX_DOCUMENT_DEPTH) return true;
    seen.add(value);
    for (const child of Object.values(value)) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}

const STEP_CONFIG_PATH = /^steps\[\d+\]\.config$/;

/**
 * A copy of the job-level part of the document for class-transformer: keys named after
 * Object.prototype members (`__proto__`, `constructor`, `toString`…) are never model properties
 * and would confuse class-transformer (it reads `constructor` as a type, `__proto__` as the
 * prototype): they are left out and reported as not allowed. A step's `config` belongs to its
 * step type: an object config is replaced by `{}` here (it is checked through the catalog).
 */
function modelInput(value: unknown, path: string, out: ValidationIssue[]): unknown {
  if (Array.isArray(value)) return value.map((item, i) => modelInput(item, `${path}[${i}]`, out));
  if (!isPlainObject(value)) return value;
  if (STEP_CONFIG_PATH.test(path)) return {};
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const at = childPath(path, key);
    if (key in Object.prototype) out.push({ path: at, message: NOT_ALLOWED });
    else defineKey(copy, key, modelInput(value[key], at, out));
  }
  return copy;
}

/** Maps class-validator's error tree to `{path, message}` (one message per property: stopAtFirstError). */
function flatten(errors: readonly ValidationError[], parent: string, parentIsArray: boolean, out: ValidationIssue[]): void {
  for (const error of errors) {
    // An unknown schedule type: only the type is reported (the other fields depend on it).
    if (error.target instanceof UnknownSchedule && error.property !== 'type') continue;
    const path = parentIsArray ? `${parent}[${error.property}]` : childPath(parent, error.property);
    const constraints = Object.entries(error.constraints ?? {});
    // "nested property x must be either object or array" only stands alone for array items.
    const own = constraints.length > 1 ? constraints.filter(([name]) => name !== 'nestedValidation') : constraints;
    for (const [name, message] of own) {
      if (name === 'whitelistValidation') out.push({ path, message: NOT_ALLOWED });
      else if (name === 'nestedValidation') out.push({ path, message: 'must be an object' });
      else out.push({ path, message });
    }
    if (error.children !== undefined && error.children.length > 0) {
      flatten(error.children, path, Array.isArray(error.value), out);
    }
  }
}

function eachString(value: unknown, path: string, visit: (text: string, path: string) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((item, i) => eachString(item, `${path}[${i}]`, visit));
  else if (isPlainObject(value)) {
    for (const key of Object.keys(value)) eachString(value[key], childPath(path, key), visit);
  }
}

/** Step types and configs, duplicate ids, templates, references, conditions. */
function checkSteps(raw: Record<string, unknown>, catalog: StepTypeCatalog, configs: Map<number, unknown>, out: ValidationIssue[]): void {
  const steps = raw['steps'];
  if (!Array.isArray(steps)) return;
  const types = catalog.types();
  const allIds = new Set<string>();
  for (const step of steps) {
    if (isPlainObject(step) && typeof step['id'] === 'string') allIds.add(step['id']);
  }
  const before = new Set<string>();
  steps.forEach((step: unknown, i) => {
    if (!isPlainObject(step)) return;
    const base = `steps[${i}]`;
    const id = typeof step['id'] === 'string' ? step['id'] : undefined;
    const reference = (path: string, ref: string): void => {
      if (before.has(ref)) return;
      const message = allIds.has(ref)
        ? `refers to step "${ref}" which does not run before this step`
        : `refers to step "${ref}" which does not exist`;
      out.push({ path, message });
    };
    if (id !== undefined && before.has(id)) out.push({ path: `${base}.id`, message: `duplicate step id "${id}"` });

    const condition = step['condition'];
    if (typeof condition === 'string' && condition.trim() !== '') {
      const path = `${base}.condition`;
      try {
        parseCondition(condition);
        for (const ref of conditionStepReferences(condition)) reference(path, ref);
      } catch (err) {
        if (err instanceof ConditionSyntaxError) out.push({ path, message: err.message });
        else throw err;
      }
    }

    const type = step['type'];
    const known = typeof type === 'string' && types.includes(type);
    if (typeof type === 'string' && type.trim() !== '' && !known) {
      out.push({ path: `${base}.type`, message: `must be one of ${types.join(', ')} (the registered step types)` });
    }

    const rawConfig = step['config'];
    if (!isPlainObject(rawConfig)) return void (id !== undefined && before.add(id));
    const configPath = `${base}.config`;
    const config = cloneJson(rawConfig);
    if (config instanceof NotJson) {
      out.push({ path: joinPath(configPath, config.at), message: config.reason });
    } else {
      configs.set(i, config);
      if (known) {
        for (const problem of catalog.validateConfig(type, config)) {
          out.push({ path: joinPath(configPath, problem.path), message: problem.message });
        }
      }
      for (const problem of findTemplateErrors(config)) {
        out.push({ path: joinPath(configPath, problem.path), message: problem.message });
      }
      eachString(config, configPath, (text, path) => {
        for (const ref of findStepReferences(text)) reference(path, ref);
      });
    }
    if (id !== undefined) before.add(id);
  });
}

/** Path order: `name` < `schedule.type` < `steps[2].id` < `steps[10].id` (indexes numerically). */
function comparePaths(a: string, b: string): number {
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x === y) continue;
    if (i % 2 === 1) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/**
 * One message per wrong value: an issue hides the issues strictly inside its path (a value of
 * the wrong shape yields one message, not dozens); duplicates are dropped; sorted by path.
 */
function finish(collected: readonly ValidationIssue[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const issue of collected) {
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key) || collected.some((other) => isInside(issue.path, other.path))) continue;
    seen.add(key);
    issues.push({ path: issue.path, message: issue.message });
  }
  return issues.sort((a, b) => comparePaths(a.path, b.path) || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
}

const defaultsCache = new Map<new () => object, Record<string, unknown>>();

function defaultsOf(instance: object): Record<string, unknown> {
  const ctor = instance.constructor as new () => object;
  let defaults = defaultsCache.get(ctor);
  if (defaults === undefined) {
    defaults = { ...new ctor() } as Record<string, unknown>;
    defaultsCache.set(ctor, defaults);
  }
  return defaults;
}

/**
 * The validated model as plain JSON: submitted keys first (in their order), then defaulted ones;
 * a null where the model has a default becomes the default. Step configs are stored as submitted.
 */
function toPlain(value: unknown, source: unknown, path: string, configs: Map<number, unknown>): unknown {
  if (Array.isArray(value)) {
    const items = Array.isArray(source) ? source : [];
    return value.map((item, i) => toPlain(item, items[i], `${path}[${i}]`, configs));
  }
  if (value === null || typeof value !== 'object') return value;
  const model = value as Record<string, unknown>;
  const raw = isPlainObject(source) ? source : {};
  const defaults = defaultsOf(value);
  const keys = [
    ...Object.keys(raw).filter((k) => Object.prototype.hasOwnProperty.call(model, k)),
    ...Object.keys(model).filter((k) => !Object.prototype.hasOwnProperty.call(raw, k)),
  ];
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const at = childPath(path, key);
    let item: unknown = model[key];
    const step = /^steps\[(\d+)\]\.config$/.exec(at);
    if (step !== null) item = configs.get(Number(step[1]));
    if (item === undefined) continue;
    const fallback = defaults[key];
    if (item === null && fallback !== undefined && fallback !== null) item = fallback;
    defineKey(out, key, step !== null ? item : toPlain(item, raw[key], at, configs));
  }
  return out;
}

/**
 * Validates a submitted job definition against the job model and, for each step, the config
 * schema of its type from `catalog` (the registered step types). On success `definition` is a
 * plain JSON object (not a class instance) with every job-level default applied; step configs are
 * kept as submitted (their defaults apply at run). The input is never modified.
 */
export function validateJobDefinition(raw: unknown, catalog: StepTypeCatalog): JobDefinitionValidationResult {
  if (!isPlainObject(raw)) return { ok: false, errors: [{ path: '', message: 'must be a JSON object' }] };
  if (tooDeep(raw)) {
    return { ok: false, errors: [{ path: '', message: `is nested deeper than ${MAX_DOCUMENT_DEPTH} levels` }] };
  }
  const collected: ValidationIssue[] = [];
  const input = modelInput(raw, '', collected);
  const instance = plainToInstance(JobDefinition, input, { exposeDefaultValues: true });
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
    validationError: { target: true, value: true },
  });
  flatten(errors, '', false, collected);
  const configs = new Map<number, unknown>();
  checkSteps(raw, catalog, configs, collected);
  const issues = finish(collected);
  if (issues.length > 0) return { ok: false, errors: issues };
  return { ok: true, definition: toPlain(instance, input, '', configs) as JobDefinition };
}

/** validateJobDefinition that returns the definition or throws JobDefinitionValidationError. */
export function assertValidJobDefinition(raw: unknown, catalog: StepTypeCatalog): JobDefinition {
  const result = validateJobDefinition(raw, catalog);
  if (!result.ok) throw new JobDefinitionValidationError(result.errors);
  return result.definition;
}

import {
  conditionStepReferences,
  ConditionSyntaxError,
  findStepReferences,
  findTemplateErrors,
  parseCondition,
} from '@vecron/context';
import { type ValidationError, validateSync } from 'class-validator';
import { decodeProblems, refusedKeysOf, sourceOf, toModel } from './field.decorators';
import { JobDefinition } from './job-definition.model';
import { cloneJson, defineKey, isPlainObject } from './json-value';
import { childPath, isInside, joinPath, JobDefinitionValidationError, type ValidationIssue } from './validation-issue';

/**
 * validateJobDefinition: the submitted JSON → either the definition with defaults applied (a
 * plain JSON object, snake_case, safe to store) or every problem as `{path, message}`.
 *
 * Checks, in one pass (all issues are reported, not just the first):
 * 1. shape and values of every field (class-validator on the model classes; unknown properties
 *    are rejected with `property foo should not exist`);
 * 2. step ids unique (`steps[3].id: duplicate step id "fetch"`);
 * 3. templates in step configs parse (`@vecron/context` findTemplateErrors);
 * 4. a step refers (`{{steps.X...}}`, in its config or its condition) only to steps that run
 *    before it (`steps[1].config.url: refers to step "later" which does not run before this step`;
 *    `... which does not exist` for an unknown id);
 * 5. conditions (step conditions and file filters) parse; the message carries the position.
 */

export type JobDefinitionValidationResult =
  | { ok: true; definition: JobDefinition }
  | { ok: false; errors: ValidationIssue[] };

/** Deepest nesting of a submitted document (guards the recursive transforms). */
const MAX_DOCUMENT_DEPTH = 100;

interface Collected extends ValidationIssue {
  /** Issues strictly inside these paths are dropped (they would only repeat this one). */
  suppress: string[];
}

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

function flatten(errors: readonly ValidationError[], parent: string, out: Collected[]): void {
  for (const error of errors) {
    const constraints = error.constraints ?? {};
    const isIndex = /^\d+$/.test(error.property) && constraints['whitelistValidation'] === undefined;
    const path = isIndex ? `${parent}[${error.property}]` : childPath(parent, error.property);
    for (const [name, message] of Object.entries(constraints)) {
      if (name === 'nestedValidation') continue; // shape problems are reported by the Field checks
      const problems = decodeProblems(message);
      if (problems === undefined) {
        out.push({ path, message, suppress: [path] });
        continue;
      }
      for (const problem of problems) {
        const at = joinPath(path, problem.at ?? '');
        const suppress = [at];
        if (problem.suppress === 'parent') suppress.push(parent);
        if (problem.suppress === 'config') suppress.push(childPath(parent, 'config'));
        out.push({ path: at, message: problem.message, suppress });
      }
    }
    if (error.children !== undefined && error.children.length > 0) flatten(error.children, path, out);
  }
}

/** Unknown properties that toModel kept off the instances (`__proto__`, `constructor`…). */
function findRefusedKeys(instance: object, path: string, out: Collected[]): void {
  for (const key of refusedKeysOf(instance)) {
    const at = childPath(path, key);
    out.push({ path: at, message: `property ${key} should not exist`, suppress: [at] });
  }
  for (const [key, value] of Object.entries(instance)) {
    const items: unknown[] = Array.isArray(value) ? value : [value];
    items.forEach((item, i) => {
      if (item === null || typeof item !== 'object' || sourceOf(item) === undefined) return;
      findRefusedKeys(item, Array.isArray(value) ? `${childPath(path, key)}[${i}]` : childPath(path, key), out);
    });
  }
}

function eachString(value: unknown, path: string, visit: (text: string, path: string) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((item, i) => eachString(item, `${path}[${i}]`, visit));
  else if (isPlainObject(value)) {
    for (const key of Object.keys(value)) eachString(value[key], childPath(path, key), visit);
  }
}

function conditionIssue(err: unknown, path: string): Collected {
  if (err instanceof ConditionSyntaxError) return { path, message: err.message, suppress: [path] };
  throw err;
}

/** Duplicate ids, template syntax, references to later or unknown steps, condition syntax. */
function checkSteps(raw: Record<string, unknown>, out: Collected[]): void {
  const steps = raw['steps'];
  if (!Array.isArray(steps)) return;
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
      out.push({ path, message, suppress: [path] });
    };
    if (id !== undefined && before.has(id)) {
      out.push({ path: `${base}.id`, message: `duplicate step id "${id}"`, suppress: [] });
    }

    const condition = step['condition'];
    if (typeof condition === 'string' && condition.trim() !== '') {
      const path = `${base}.condition`;
      try {
        parseCondition(condition);
        for (const ref of conditionStepReferences(condition)) reference(path, ref);
      } catch (err) {
        out.push(conditionIssue(err, path));
      }
    }

    const config = step['config'];
    if (isPlainObject(config)) {
      const configPath = `${base}.config`;
      for (const problem of findTemplateErrors(config)) {
        const path = joinPath(configPath, problem.path);
        out.push({ path, message: problem.message, suppress: [path] });
      }
      eachString(config, configPath, (text, path) => {
        for (const ref of findStepReferences(text)) reference(path, ref);
      });
      const options = config['options'];
      const transformations = isPlainObject(options) ? options['transformations'] : undefined;
      if (step['type'] === 'file_processing' && Array.isArray(transformations)) {
        transformations.forEach((t: unknown, j) => {
          if (!isPlainObject(t) || t['type'] !== 'filter' || typeof t['condition'] !== 'string') return;
          if (t['condition'].trim() === '') return;
          const path = `${configPath}.options.transformations[${j}].condition`;
          try {
            parseCondition(t['condition'], { anyRoot: true });
          } catch (err) {
            out.push(conditionIssue(err, path));
          }
        });
      }
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

function finish(collected: Collected[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const issue of collected) {
    const hidden = collected.some((other) => other !== issue && other.suppress.some((p) => isInside(issue.path, p)));
    const key = `${issue.path}\u0000${issue.message}`;
    if (hidden || seen.has(key)) continue;
    seen.add(key);
    issues.push({ path: issue.path, message: issue.message });
  }
  return issues.sort((a, b) => comparePaths(a.path, b.path));
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
 * a null where the model has a default becomes the default; free-form values are deep copies.
 */
function toPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPlain);
  if (value === null || typeof value !== 'object') return value;
  if (isPlainObject(value)) return cloneJson(value);
  const raw = sourceOf(value) ?? {};
  const model = value as Record<string, unknown>;
  const defaults = defaultsOf(value);
  const keys = [
    ...Object.keys(raw).filter((k) => Object.prototype.hasOwnProperty.call(model, k)),
    ...Object.keys(model).filter((k) => !Object.prototype.hasOwnProperty.call(raw, k)),
  ];
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    let item = model[key];
    if (item === undefined) continue;
    const fallback = defaults[key];
    if (item === null && fallback !== undefined && fallback !== null) item = fallback;
    defineKey(out, key, toPlain(item));
  }
  return out;
}

/**
 * Validates a submitted job definition. On success `definition` is a plain JSON object (not a
 * class instance) with every default applied; the input is never modified.
 */
export function validateJobDefinition(raw: unknown): JobDefinitionValidationResult {
  if (!isPlainObject(raw)) return { ok: false, errors: [{ path: '', message: 'must be a JSON object' }] };
  if (tooDeep(raw)) {
    return { ok: false, errors: [{ path: '', message: `is nested deeper than ${MAX_DOCUMENT_DEPTH} levels` }] };
  }
  const instance = toModel(JobDefinition, raw);
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: false,
    validationError: { target: false, value: false },
  });
  const collected: Collected[] = [];
  flatten(errors, '', collected);
  findRefusedKeys(instance, '', collected);
  checkSteps(raw, collected);
  const issues = finish(collected);
  if (issues.length > 0) return { ok: false, errors: issues };
  return { ok: true, definition: toPlain(instance) as JobDefinition };
}

/** validateJobDefinition that returns the definition or throws JobDefinitionValidationError. */
export function assertValidJobDefinition(raw: unknown): JobDefinition {
  const result = validateJobDefinition(raw);
  if (!result.ok) throw new JobDefinitionValidationError(result.errors);
  return result.definition;
}

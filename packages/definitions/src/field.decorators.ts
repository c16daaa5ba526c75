import { ValidateBy, ValidateIf, ValidateNested } from 'class-validator';
import { cloneJson, defineKey, isPlainObject, NotJson } from './json-value';
import { isValidTimeZone } from './time-zone';

/**
 * The building blocks of the definition model: class-validator decorators whose messages are
 * the final `{path, message}` texts, plus the glue that builds nested model
 * instances from the submitted JSON without losing or reinterpreting any key.
 *
 * A check returns null when the value is fine, else one or more problems. A problem may point
 * below the decorated property (`at`, e.g. `[2]` or `["X-Key"]`) and may ask that issues inside
 * another path be dropped (`suppress`), e.g. an unknown schedule `type` hides the complaints
 * about the fields of a schedule whose shape is unknown. Every problem also hides the issues
 * strictly inside its own path (a value of the wrong shape yields one message, not dozens).
 */

export interface Problem {
  message: string;
  /** Relative path below the decorated property (`[0]`, `.name`, `["X-Key"]`). */
  at?: string;
  /** Also drop issues inside: the object holding the property, or its `config` sibling. */
  suppress?: 'parent' | 'config';
}

export type CheckResult = string | Problem | Problem[] | null;
export type Check = (value: unknown, object: Record<string, unknown>) => CheckResult;

/** Messages produced by Field constraints are encoded so the flattener can read them back. */
export const PROBLEM_MARK = '\u0000vecron-problems:';

function toProblems(result: CheckResult): Problem[] {
  if (result === null) return [];
  if (typeof result === 'string') return [{ message: result }];
  return Array.isArray(result) ? result : [result];
}

export function decodeProblems(message: string): Problem[] | undefined {
  if (!message.startsWith(PROBLEM_MARK)) return undefined;
  return JSON.parse(message.slice(PROBLEM_MARK.length)) as Problem[];
}

let constraintCounter = 0;

/** Prototypes of the model classes (every model class has at least one Field). */
const modelPrototypes = new WeakSet<object>();

/** A class-validator constraint running `check` on the property. */
export function Field(check: Check): PropertyDecorator {
  constraintCounter += 1;
  const decorator = ValidateBy({
    name: `vecronField${constraintCounter}`,
    validator: {
      validate: (value: unknown, args) => toProblems(check(value, args?.object as Record<string, unknown>)).length === 0,
      defaultMessage: (args) =>
        PROBLEM_MARK + JSON.stringify(toProblems(check(args?.value, args?.object as Record<string, unknown>))),
    },
  });
  return (target, key) => {
    modelPrototypes.add(target);
    decorator(target, key);
  };
}

const absent = (value: unknown): boolean => value === undefined || value === null;

/** Required: null or missing is `is required`; otherwise `check` decides. */
export function Req(check: Check, missing = 'is required'): PropertyDecorator {
  return Field((value, object) => (absent(value) ? missing : check(value, object)));
}

/** Optional: null or missing is accepted (a default may apply); otherwise `check` decides. */
export function Opt(check: Check): PropertyDecorator {
  return Field((value, object) => (absent(value) ? null : check(value, object)));
}

/** The discriminator of a polymorphic object (`type`). */
export function Discriminator(values: readonly string[], suppress: 'parent' | 'config'): PropertyDecorator {
  return Field((value) => {
    if (absent(value)) return { message: 'is required', suppress };
    if (typeof value !== 'string' || !values.includes(value)) {
      return { message: `must be one of ${values.join(', ')}`, suppress };
    }
    return null;
  });
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

export interface StringRules {
  /** Minimum length; 1 (the default) also rejects blank strings. 0 accepts ''. */
  min?: number;
  max?: number;
  pattern?: RegExp;
  patternMessage?: string;
}

export function str(rules: StringRules = {}): Check {
  const min = rules.min ?? 1;
  return (value) => {
    if (typeof value !== 'string') return 'must be a string';
    if (min >= 1 && value.trim() === '') return 'must not be empty';
    if (value.length < min) return `must be at least ${min} characters long`;
    if (rules.max !== undefined && value.length > rules.max) return `must be at most ${rules.max} characters long`;
    if (rules.pattern !== undefined && !rules.pattern.test(value)) {
      return rules.patternMessage ?? `must match ${String(rules.pattern)}`;
    }
    return null;
  };
}

export function int(min: number, max: number): Check {
  return (value) => {
    if (typeof value !== 'number' || !Number.isInteger(value)) return 'must be an integer';
    if (value < min) return `must be at least ${min}`;
    if (value > max) return `must be at most ${max}`;
    return null;
  };
}

export const bool: Check = (value) => (typeof value === 'boolean' ? null : 'must be a boolean');

export function oneOf(values: readonly string[]): Check {
  return (value) => (typeof value === 'string' && values.includes(value) ? null : `must be one of ${values.join(', ')}`);
}

/**
 * A JSON object: a plain object, or a model instance built from one (or a model default). Arrays,
 * other class instances and NotJson values are not.
 */
export function isObjectValue(value: unknown): boolean {
  if (isPlainObject(value)) return true;
  if (value === null || typeof value !== 'object') return false;
  if (sources.has(value)) return true;
  for (let proto: unknown = Object.getPrototypeOf(value); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    if (modelPrototypes.has(proto as object)) return true;
  }
  return false;
}

export const object: Check = (value) => (isObjectValue(value) ? null : 'must be an object');

export interface ArrayRules {
  min?: number;
  max?: number;
  minMessage?: string;
  maxMessage?: string;
}

/** An array of objects (model items); each non-object item is reported at its index. */
export function arrayOfObjects(rules: ArrayRules = {}): Check {
  return (value) => {
    if (!Array.isArray(value)) return 'must be an array';
    if (rules.min !== undefined && value.length < rules.min) {
      return rules.minMessage ?? `must contain at least ${rules.min} items`;
    }
    if (rules.max !== undefined && value.length > rules.max) {
      return rules.maxMessage ?? `must contain at most ${rules.max} items`;
    }
    const problems: Problem[] = [];
    value.forEach((item, i) => {
      if (!isObjectValue(item)) problems.push({ message: 'must be an object', at: `[${i}]` });
    });
    return problems.length > 0 ? problems : null;
  };
}

/** Free-form JSON data (see FreeForm); reports where it stops being JSON. */
export const json: Check = (value) => (value instanceof NotJson ? { message: value.reason, at: value.at } : null);

/** A JSON array of anything (see FreeForm). */
export const jsonArray: Check = (value) => {
  if (value instanceof NotJson) return { message: value.reason, at: value.at };
  return Array.isArray(value) ? null : 'must be an array';
};

/** An object whose values are strings (HTTP headers); bad entries are reported at their key. */
export const stringRecord: Check = (value) => {
  if (value instanceof NotJson) return { message: value.reason, at: value.at };
  if (!isPlainObject(value)) return 'must be an object';
  const problems: Problem[] = [];
  for (const key of Object.keys(value)) {
    if (typeof value[key] !== 'string') {
      const at = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
      problems.push({ message: 'must be a string', at });
    }
  }
  return problems.length > 0 ? problems : null;
};

export const timeZone: Check = (value) => {
  if (typeof value !== 'string') return 'must be a string';
  return isValidTimeZone(value) ? null : `unknown time zone "${value}"`;
};

/** `{{...}}` or `${...}`: resolved at run time, so its final shape cannot be checked now. */
export function hasTemplate(text: string): boolean {
  return text.includes('{{') || text.includes('${');
}

/** An absolute http(s) URL, or any string containing a template. */
export const httpUrl: Check = (value) => {
  const base = str()(value, {});
  if (base !== null) return base;
  const text = value as string;
  if (hasTemplate(text)) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute http or https URL';
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? null : 'must be an absolute http or https URL';
};

export function all(...checks: Check[]): Check {
  return (value, obj) => {
    for (const check of checks) {
      const result = check(value, obj);
      if (toProblems(result).length > 0) return result;
    }
    return null;
  };
}

// ---------------------------------------------------------------------------------------------
// Building model instances
// ---------------------------------------------------------------------------------------------

/*
 * Model instances are built here rather than with class-transformer's plainToInstance, which
 * recurses into every nested value (free-form bodies included), silently drops keys such as
 * `constructor`, `__proto__` or `toString`, and crashes on some of them. Here every submitted key
 * becomes an own data property of the instance (so the unknown-property check sees it), values
 * of model properties are built with the builder their decorator registered, and all other
 * values are kept as they are.
 */

// A model class: constructible without arguments.
export type ModelClass = new () => object;
type Builder = (raw: unknown, parent: Record<string, unknown>) => unknown;

const builders = new Map<object, Map<string, Builder>>();

function registerBuilder(prototype: object, key: string | symbol, builder: Builder): void {
  let map = builders.get(prototype);
  if (map === undefined) {
    map = new Map();
    builders.set(prototype, map);
  }
  map.set(String(key), builder);
}

function builderFor(instance: object, key: string): Builder | undefined {
  for (let proto: unknown = Object.getPrototypeOf(instance); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const builder = builders.get(proto as object)?.get(key);
    if (builder !== undefined) return builder;
  }
  return undefined;
}

/** The submitted object each model instance was built from. */
const sources = new WeakMap<object, Record<string, unknown>>();

export function sourceOf(instance: object): Record<string, unknown> | undefined {
  return sources.get(instance);
}

/** Submitted keys that were not copied onto a model instance (see toModel). */
const refusedKeys = new WeakMap<object, string[]>();

/** Keys of a submitted object that toModel refused (`__proto__`, `constructor`, `toString`…). */
export function refusedKeysOf(instance: object): readonly string[] {
  return refusedKeys.get(instance) ?? [];
}

/**
 * Builds a model instance from a submitted object; class defaults stay for absent keys. Keys that
 * name Object.prototype members (`__proto__`, `constructor`, `toString`…) are never model
 * properties and would confuse class-validator (it reads `constructor` to find the metadata):
 * they are not copied but remembered, and reported as unknown properties.
 */
export function toModel<T extends object>(cls: new () => T, raw: Record<string, unknown>): T {
  const instance = new cls();
  const refused: string[] = [];
  for (const key of Object.keys(raw)) {
    const value = raw[key];
    if (value === undefined) continue;
    if (key in Object.prototype) {
      refused.push(key);
      continue;
    }
    const builder = builderFor(instance, key);
    defineKey(instance as Record<string, unknown>, key, builder === undefined ? value : builder(value, raw));
  }
  if (refused.length > 0) refusedKeys.set(instance, refused);
  sources.set(instance, raw);
  return instance;
}

export type ClassFor = (raw: Record<string, unknown>, parent: Record<string, unknown>) => ModelClass;

/**
 * A nested model object (or array of them, `each`). The class may depend on the object itself or
 * on its parent (a step's `config` class is chosen by the step's `type`). Values that are not
 * objects are left as they are for the shape check (Req/Opt with `object`/`arrayOfObjects`).
 * Optional nested objects that are null or missing are not validated.
 */
export function Nested(classFor: ClassFor, options: { each?: boolean; optional?: boolean } = {}): PropertyDecorator {
  const build = (raw: unknown, parent: Record<string, unknown>): unknown =>
    isPlainObject(raw) ? toModel(classFor(raw, parent), raw) : raw;
  const nested = ValidateNested({ each: options.each });
  const onlyWhenPresent = options.optional ? ValidateIf((_o, value) => !absent(value)) : undefined;
  return (target, key) => {
    registerBuilder(target, key, (raw, parent) =>
      options.each && Array.isArray(raw) ? raw.map((item) => build(item, parent)) : build(raw, parent),
    );
    nested(target, key);
    onlyWhenPresent?.(target, key);
  };
}

/**
 * Free-form JSON (http body, headers, parameters, rows): a deep copy of the submitted value
 * (every key kept), never turned into model classes. Non-JSON content becomes a NotJson that the
 * `json` checks report.
 */
export function FreeForm(): PropertyDecorator {
  return (target, key) => registerBuilder(target, key, (raw) => cloneJson(raw));
}

/** Free-form JSON values inside a definition (http body, headers, query parameters, rows). */

/** Deepest nesting accepted in a free-form value. */
export const MAX_JSON_DEPTH = 64;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Marks a value that is not JSON data; the validators report `reason` at `at` (relative path). */
export class NotJson {
  constructor(
    readonly reason: string,
    readonly at: string,
  ) {}
}

/** Sets a key without triggering the `__proto__` setter, so every JSON key is kept as data. */
export function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function keyPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/**
 * A deep copy of a JSON value (null, boolean, finite number, string, array, plain object).
 * Anything else (undefined inside arrays, functions, NaN, class instances, cycles, nesting deeper
 * than MAX_JSON_DEPTH) yields a NotJson naming where.
 */
export function cloneJson(value: unknown, at = '', depth = 0, seen: Set<object> = new Set()): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : new NotJson('must be a finite number', at);
  if (depth >= MAX_JSON_DEPTH) return new NotJson(`is nested deeper than ${MAX_JSON_DEPTH} levels`, at);
  if (Array.isArray(value)) {
    if (seen.has(value)) return new NotJson('contains a circular reference', at);
    seen.add(value);
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      const item = cloneJson(value[i], keyPath(at, i), depth + 1, seen);
      if (item instanceof NotJson) return item;
      out.push(item);
    }
    seen.delete(value);
    return out;
  }
  if (isPlainObject(value)) {
    if (seen.has(value)) return new NotJson('contains a circular reference', at);
    seen.add(value);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const item = cloneJson(value[key], keyPath(at, key), depth + 1, seen);
      if (item instanceof NotJson) return item;
      defineKey(out, key, item);
    }
    seen.delete(value);
    return out;
  }
  return new NotJson('must be JSON data (string, number, boolean, null, array or object)', at);
}

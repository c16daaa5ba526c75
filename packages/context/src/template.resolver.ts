import { TemplateError } from './errors';
import { type ParsedPath, parsePathAt, PathSyntaxError, skipWs, stepIdOf } from './path';
import { failedPrefix, lookupPath, type TemplateScope } from './template-scope';

/**
 * Template syntax (one resolver, two forms):
 * - `${NAME}`: a variable from the scope's clear-text map (spaces inside the braces are allowed;
 *   NAME is `[A-Za-z_][A-Za-z0-9_.-]*`). Same value as `{{variables.NAME}}`.
 * - `{{ path }}`: a path into the context (see path.ts for the grammar, template-scope.ts for roots).
 * - `\{{` and `\${` render `{{` and `${` literally (the backslash is dropped); every other
 *   backslash is kept as is. A lone `}}` is plain text.
 *
 * Whole string vs text: when the string is exactly one template (no other characters, not even
 * spaces, outside the braces), the result keeps the value's JSON type (object, array, number,
 * boolean, null, string). Otherwise each template is rendered as text: strings as is, numbers
 * and booleans with String(), null as `null`, objects and arrays as compact JSON, Dates as
 * ISO-8601.
 */

export type TemplatePart =
  | { kind: 'text'; text: string }
  | { kind: 'path'; path: ParsedPath; source: string; position: number }
  | { kind: 'variable'; name: string; source: string; position: number };

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function fragmentFrom(text: string, start: number, close: string): string {
  const end = text.indexOf(close, start + 2);
  return end === -1 ? text.slice(start) : text.slice(start, end + close.length);
}

function syntaxError(template: string, reason: string, position: number): TemplateError {
  return new TemplateError({ template, reason: `${reason} at position ${position}`, position, syntax: true });
}

/** Parses `{{ path }}` starting at `start` (text[start..start+2] === '{{'). */
function parsePathTemplate(text: string, start: number): { part: TemplatePart; end: number } {
  const bodyStart = skipWs(text, start + 2);
  if (text.startsWith('}}', bodyStart)) {
    throw syntaxError(text.slice(start, bodyStart + 2), 'empty path', start);
  }
  if (bodyStart >= text.length) {
    throw syntaxError(text.slice(start), 'unclosed "{{" (missing "}}")', start);
  }
  let parsed: ReturnType<typeof parsePathAt>;
  try {
    parsed = parsePathAt(text, bodyStart);
  } catch (err) {
    if (err instanceof PathSyntaxError) {
      throw syntaxError(fragmentFrom(text, start, '}}'), err.reason, err.position);
    }
    throw err;
  }
  const close = skipWs(text, parsed.end);
  if (!text.startsWith('}}', close)) {
    if (close >= text.length) throw syntaxError(text.slice(start), 'unclosed "{{" (missing "}}")', start);
    throw syntaxError(
      fragmentFrom(text, start, '}}'),
      `unexpected character "${text[close] as string}" in path (expected "}}")`,
      close,
    );
  }
  const end = close + 2;
  return { part: { kind: 'path', path: parsed.path, source: text.slice(start, end), position: start }, end };
}

/** Parses `${NAME}` starting at `start` (text[start..start+2] === '${'). */
function parseVariableTemplate(text: string, start: number): { part: TemplatePart; end: number } {
  const close = text.indexOf('}', start + 2);
  if (close === -1) throw syntaxError(text.slice(start), 'unclosed "${" (missing "}")', start);
  const source = text.slice(start, close + 1);
  const name = text.slice(start + 2, close).trim();
  if (name === '') throw syntaxError(source, 'empty variable name', start);
  if (!VARIABLE_NAME.test(name)) {
    const shown = name.length > 40 ? `${name.slice(0, 40)}…` : name;
    throw syntaxError(source, `invalid variable name "${shown}" (expected letters, digits, "_", "." or "-")`, start);
  }
  return { part: { kind: 'variable', name, source, position: start }, end: close + 1 };
}

/**
 * Splits a string into text and templates. Throws TemplateError (syntax) at the first problem.
 * With `collect`, syntax errors are appended to it instead and scanning goes on after the bad
 * fragment.
 */
export function parseTemplateString(text: string, collect?: TemplateError[]): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let buffer = '';
  let i = 0;
  const flush = (): void => {
    if (buffer !== '') parts.push({ kind: 'text', text: buffer });
    buffer = '';
  };
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\' && (text.startsWith('{{', i + 1) || text.startsWith('${', i + 1))) {
      buffer += text.slice(i + 1, i + 3);
      i += 3;
      continue;
    }
    const isPath = ch === '{' && text[i + 1] === '{';
    const isVariable = ch === '$' && text[i + 1] === '{';
    if (!isPath && !isVariable) {
      // Copy the run of plain text up to the next character that may start a template.
      let next = i + 1;
      while (next < text.length && text[next] !== '{' && text[next] !== '$' && text[next] !== '\\') next += 1;
      buffer += text.slice(i, next);
      i = next;
      continue;
    }
    try {
      const { part, end } = isPath ? parsePathTemplate(text, i) : parseVariableTemplate(text, i);
      flush();
      parts.push(part);
      i = end;
    } catch (err) {
      if (collect === undefined || !(err instanceof TemplateError)) throw err;
      collect.push(err);
      // Go on after the bad fragment so that every error of the string is reported.
      const fragment = isPath ? fragmentFrom(text, i, '}}') : fragmentFrom(text, i, '}');
      i += Math.max(2, fragment.length);
    }
  }
  flush();
  return parts;
}

function resolvePart(part: Exclude<TemplatePart, { kind: 'text' }>, scope: TemplateScope): unknown {
  if (part.kind === 'variable') {
    const vars = scope.variables;
    const value = Object.prototype.hasOwnProperty.call(vars, part.name) ? vars[part.name] : undefined;
    if (typeof value !== 'string') {
      throw new TemplateError({
        template: part.source,
        missing: part.name,
        reason: `variable ${part.name} is not defined`,
        position: part.position,
        showMissing: false,
      });
    }
    return value;
  }
  const result = lookupPath(part.path, scope);
  if (!result.found) {
    throw new TemplateError({
      template: part.source,
      missing: failedPrefix(part.path, result.failedAt),
      reason: result.reason,
      position: part.position,
    });
  }
  return result.value;
}

/** Copies plain objects and arrays (so the result never aliases the context); other values as is. */
export function cloneValue(value: unknown, seen: Map<object, unknown> = new Map()): unknown {
  if (value === null || typeof value !== 'object') return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(cloneValue(item, seen));
    return out;
  }
  if (value instanceof Date) return new Date(value.getTime());
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const key of Object.keys(value)) {
    defineKey(out, key, cloneValue((value as Record<string, unknown>)[key], seen));
  }
  return out;
}

/** Sets an own enumerable property, safe for keys such as `__proto__`. */
export function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function renderText(value: unknown, part: TemplatePart & { source: string; position: number }): string {
  if (typeof value === 'string') return value;
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'null' : value.toISOString();
  if (typeof value === 'object') {
    try {
      const json = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      if (typeof json === 'string') return json;
    } catch (err) {
      throw new TemplateError({
        template: part.source,
        reason: `value cannot be rendered as text (${err instanceof Error ? err.message : String(err)})`,
        position: part.position,
      });
    }
  }
  throw new TemplateError({
    template: part.source,
    reason: `value of type ${typeof value} cannot be rendered as text`,
    position: part.position,
  });
}

/**
 * Resolves the templates of one string. A string that is exactly one template returns the value
 * with its type (a copy of objects/arrays); otherwise returns the rendered string.
 * Throws TemplateError only.
 */
export function resolveTemplateString(text: string, scope: TemplateScope): unknown {
  if (!text.includes('{')) return text;
  const parts = parseTemplateString(text);
  const only = parts[0];
  if (parts.length === 1 && only !== undefined && only.kind !== 'text') {
    const value = resolvePart(only, scope);
    try {
      return cloneValue(value);
    } catch (err) {
      // Only a value nested deeper than the call stack gets here (RangeError).
      throw new TemplateError({
        template: only.source,
        reason: `value cannot be copied (${err instanceof Error ? err.message : String(err)})`,
        position: only.position,
      });
    }
  }
  let out = '';
  for (const part of parts) {
    out += part.kind === 'text' ? part.text : renderText(resolvePart(part, scope), part);
  }
  return out;
}

function childLocation(location: string, key: string | number): string {
  if (typeof key === 'number') return `${location}[${key}]`;
  if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) return location === '' ? key : `${location}.${key}`;
  return `${location}[${JSON.stringify(key)}]`;
}

/**
 * Makes `text` render literally: puts a backslash before every `{{` and `${`.
 * `resolveTemplateString(escapeTemplate(s), scope) === s` for every string s.
 */
export function escapeTemplate(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('{{', i) || text.startsWith('${', i)) {
      out += `\\${text.slice(i, i + 2)}`;
      i += 2;
    } else {
      out += text[i] as string;
      i += 1;
    }
  }
  return out;
}

/**
 * Walks a JSON value (objects, arrays, strings) and resolves every string; keys are not
 * templated. Returns a new value (the input is not modified); other values are kept as is.
 * Errors carry `location` (e.g. `headers.Authorization`, `parameters[0]`).
 */
export function resolveTemplates(value: unknown, scope: TemplateScope): unknown {
  return resolveAt(value, scope, '');
}

function resolveAt(value: unknown, scope: TemplateScope, location: string): unknown {
  if (typeof value === 'string') {
    try {
      return resolveTemplateString(value, scope);
    } catch (err) {
      if (err instanceof TemplateError) throw err.withLocation(location);
      throw err;
    }
  }
  if (Array.isArray(value)) return value.map((item, i) => resolveAt(item, scope, childLocation(location, i)));
  if (value !== null && typeof value === 'object') {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      defineKey(out, key, resolveAt((value as Record<string, unknown>)[key], scope, childLocation(location, key)));
    }
    return out;
  }
  return value;
}

/** Every string inside a JSON value with its location (keys excluded). */
function eachString(value: unknown, location: string, visit: (text: string, location: string) => void): void {
  if (typeof value === 'string') {
    visit(value, location);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => eachString(item, childLocation(location, i), visit));
  } else if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      eachString((value as Record<string, unknown>)[key], childLocation(location, key), visit);
    }
  }
}

/**
 * Step ids referenced by `{{steps.<id>...}}` (and the `response` alias) in any string inside
 * `value`, unique, in order of first appearance. Malformed templates are ignored here (see
 * findTemplateErrors). For a step `condition`, use conditionStepReferences.
 */
export function findStepReferences(value: unknown): string[] {
  const ids: string[] = [];
  const seen = new Set<string>();
  eachString(value, '', (text) => {
    if (!text.includes('{{')) return;
    for (const part of parseTemplateString(text, [])) {
      if (part.kind !== 'path') continue;
      const id = stepIdOf(part.path);
      if (id !== undefined && !seen.has(id)) {
        seen.add(id);
        ids.push(id);
      }
    }
  });
  return ids;
}

export interface TemplateProblem {
  /** Location of the string inside the value, e.g. `headers.Authorization` ('' for the root). */
  path: string;
  message: string;
}

/**
 * Static syntax check of every string inside `value`. `path` of each problem is the location of
 * the string, prefixed with `basePath` (e.g. basePath `steps[0].config` gives
 * `steps[0].config.headers.Authorization`). Finds unclosed `{{`, empty paths, bad indexes,
 * unknown roots, fields after a plain root. Missing variables or steps are not reported: they
 * depend on the run. Returns [] when everything parses.
 */
export function findTemplateErrors(value: unknown, basePath = ''): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  eachString(value, basePath, (text, location) => {
    if (!text.includes('{')) return;
    const errors: TemplateError[] = [];
    parseTemplateString(text, errors);
    for (const err of errors) problems.push({ path: location, message: err.message });
  });
  return problems;
}

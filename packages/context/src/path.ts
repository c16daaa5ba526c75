/**
 * Paths into the Job Context, shared by templates (`{{path}}`) and conditions.
 *
 * Grammar:
 *   path    := root segment*
 *   root    := [A-Za-z_][A-Za-z0-9_]*
 *   segment := '.' key | '[' ws* index ws* ']' | '[' ws* quoted ws* ']'
 *   key     := one or more letters, digits, '_', '$' or '-' (Unicode letters included)
 *   index   := decimal digits (non-negative; `[-1]` is rejected with its own message)
 *   quoted  := '...' or "..." with escapes \\ \' \" \/ \n \r \t \b \f \uXXXX
 */

export type PathSegment =
  | { kind: 'key'; key: string; quoted: boolean }
  | { kind: 'index'; index: number };

export interface ParsedPath {
  root: string;
  segments: PathSegment[];
}

/** A syntax problem at a 0-based offset of the source text. */
export class PathSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly position: number,
  ) {
    super(`${reason} at position ${position}`);
    this.name = 'PathSyntaxError';
  }
}

/** Roots a context path may start with. */
export const CONTEXT_ROOTS = [
  'steps',
  'webhook',
  'variables',
  'files',
  'execution_id',
  'job_id',
  'execution_date',
  'attempt',
  'trigger_source',
] as const;
export type ContextRoot = (typeof CONTEXT_ROOTS)[number];

/** Roots that are plain values: no `.key` or `[n]` after them. */
const SCALAR_ROOTS: ReadonlySet<string> = new Set([
  'execution_id',
  'job_id',
  'execution_date',
  'attempt',
  'trigger_source',
]);
const ROOT_SET: ReadonlySet<string> = new Set(CONTEXT_ROOTS);

const ROOT_START = /[A-Za-z_]/;
const ROOT_PART = /[A-Za-z0-9_]/;
const KEY_PART = /[\p{L}\p{N}_$-]/u;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$-]*$/;

export function isRootStart(ch: string | undefined): boolean {
  return ch !== undefined && ROOT_START.test(ch);
}

function isWs(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
}

export function skipWs(src: string, pos: number): number {
  let i = pos;
  while (i < src.length && isWs(src[i])) i += 1;
  return i;
}

/** Reads an identifier `[A-Za-z_][A-Za-z0-9_]*` at pos (caller checked the first char). */
export function readIdentifier(src: string, pos: number): { name: string; end: number } {
  let i = pos + 1;
  while (i < src.length && ROOT_PART.test(src[i] as string)) i += 1;
  return { name: src.slice(pos, i), end: i };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  '/': '/',
  n: '\n',
  r: '\r',
  t: '\t',
  b: '\b',
  f: '\f',
};

/** Reads a quoted string starting at pos (src[pos] is ' or "). Shared with condition string literals. */
export function readQuoted(src: string, pos: number): { value: string; end: number } {
  const quote = src[pos] as string;
  let out = '';
  let i = pos + 1;
  while (i < src.length) {
    const ch = src[i] as string;
    if (ch === quote) return { value: out, end: i + 1 };
    if (ch === '\\') {
      const next = src[i + 1];
      if (next === undefined) break;
      if (next === 'u') {
        const hex = src.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          throw new PathSyntaxError('invalid \\u escape (expected 4 hex digits)', i);
        }
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
        continue;
      }
      const simple = Object.prototype.hasOwnProperty.call(SIMPLE_ESCAPES, next) ? SIMPLE_ESCAPES[next] : undefined;
      if (simple === undefined) throw new PathSyntaxError(`invalid escape "\\${next}"`, i);
      out += simple;
      i += 2;
      continue;
    }
    out += ch;
    i += 1;
  }
  throw new PathSyntaxError(`unterminated string (missing closing ${quote})`, pos);
}

function describeChar(ch: string | undefined): string {
  return ch === undefined ? 'end of input' : `"${ch}"`;
}

/** End of a dotted key starting at pos (Unicode letters and digits, `_`, `$`, `-`). */
function readKeyEnd(src: string, pos: number): number {
  let j = pos;
  while (j < src.length) {
    const chr = String.fromCodePoint(src.codePointAt(j) as number);
    if (!KEY_PART.test(chr)) break;
    j += chr.length;
  }
  return j;
}

/**
 * Parses the segments of a path starting at pos (just after the root) and stops at the first
 * character that cannot continue it. Throws PathSyntaxError.
 */
function parseSegments(src: string, start: number): { segments: PathSegment[]; end: number } {
  const segments: PathSegment[] = [];
  let i = start;
  for (;;) {
    const ch = src[i];
    if (ch === '.') {
      const j = readKeyEnd(src, i + 1);
      if (j === i + 1) {
        throw new PathSyntaxError(`expected a key after "." but found ${describeChar(src[j])}`, j);
      }
      segments.push({ kind: 'key', key: src.slice(i + 1, j), quoted: false });
      i = j;
      continue;
    }
    if (ch === '[') {
      let j = skipWs(src, i + 1);
      const c = src[j];
      if (c === "'" || c === '"') {
        const q = readQuoted(src, j);
        j = skipWs(src, q.end);
        if (src[j] !== ']') throw new PathSyntaxError(`expected "]" but found ${describeChar(src[j])}`, j);
        segments.push({ kind: 'key', key: q.value, quoted: true });
        i = j + 1;
        continue;
      }
      let k = j;
      while (k < src.length && src[k] !== ']' && !isWs(src[k]) && src[k] !== '}' && src[k] !== '[') k += 1;
      const raw = src.slice(j, k);
      const close = skipWs(src, k);
      if (raw === '') {
        if (src[close] === ']') throw new PathSyntaxError('empty index "[]"', i);
        throw new PathSyntaxError(`unclosed "[" (expected an index or a quoted key)`, i);
      }
      if (/^-\d+$/.test(raw)) {
        throw new PathSyntaxError(`negative index ${raw} is not allowed (indexes start at 0)`, j);
      }
      if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
        throw new PathSyntaxError(
          `invalid index "${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw}" (expected a non-negative integer or a quoted key)`,
          j,
        );
      }
      if (src[close] !== ']') throw new PathSyntaxError(`unclosed "[" (missing "]")`, i);
      segments.push({ kind: 'index', index: Number(raw) });
      i = close + 1;
      continue;
    }
    return { segments, end: i };
  }
}

export interface ParsePathOptions {
  /** Accept any root name (row filters); default false: only CONTEXT_ROOTS. */
  anyRoot?: boolean;
}

/**
 * Parses a path starting at `pos` (which must be a root identifier start, or `[` with anyRoot)
 * and returns where it ended. Checks roots statically: unknown roots, `variables` without a name,
 * fields after scalar roots, `steps[0]`.
 */
export function parsePathAt(
  src: string,
  pos: number,
  options: ParsePathOptions = {},
): { path: ParsedPath; end: number } {
  if (options.anyRoot && src[pos] === '[') {
    // A row path may start with a quoted column name: ['Amount (VND)'] > 0
    const { segments, end } = parseSegments(src, pos);
    const first = segments[0];
    if (first === undefined || first.kind !== 'key') {
      throw new PathSyntaxError('a path must start with a name or a quoted key', pos);
    }
    return { path: { root: first.key, segments: segments.slice(1) }, end };
  }
  if (!isRootStart(src[pos])) {
    throw new PathSyntaxError(`expected a path but found ${describeChar(src[pos])}`, pos);
  }
  const { name: root, end: rootEnd } = readIdentifier(src, pos);
  const { segments, end } = parseSegments(src, rootEnd);
  if (!options.anyRoot) checkRoot(root, segments, pos);
  return { path: { root, segments }, end };
}

function checkRoot(root: string, segments: PathSegment[], pos: number): void {
  if (!ROOT_SET.has(root)) {
    throw new PathSyntaxError(`unknown root "${root}" (expected one of ${CONTEXT_ROOTS.join(', ')})`, pos);
  }
  const first = segments[0];
  if (SCALAR_ROOTS.has(root) && first !== undefined) {
    throw new PathSyntaxError(`${root} is a plain value and has no fields`, pos + root.length);
  }
  if (root === 'variables' && first === undefined) {
    throw new PathSyntaxError('variables needs a name (variables.NAME)', pos + root.length);
  }
  if ((root === 'variables' || root === 'steps') && first !== undefined && first.kind !== 'key') {
    throw new PathSyntaxError(
      root === 'steps' ? 'expected a step id after "steps" (steps.<id>)' : 'expected a variable name after "variables"',
      pos + root.length,
    );
  }
}

/** Parses a whole string as a path (surrounding whitespace allowed). */
export function parsePath(text: string, options: ParsePathOptions = {}): ParsedPath {
  const start = skipWs(text, 0);
  if (start === text.length) throw new PathSyntaxError('empty path', start);
  const { path, end } = parsePathAt(text, start, options);
  const after = skipWs(text, end);
  if (after !== text.length) {
    throw new PathSyntaxError(`unexpected character ${describeChar(text[after])} in path`, after);
  }
  return path;
}

function formatKey(key: string): string {
  return `['${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
}

/** Canonical text of a path or of its first `count` segments: `steps.fetch.output.body['x.y'].items[3]`. */
export function formatPath(path: ParsedPath, count: number = path.segments.length): string {
  let out = IDENTIFIER.test(path.root) ? path.root : formatKey(path.root);
  for (const seg of path.segments.slice(0, count)) {
    if (seg.kind === 'index') out += `[${seg.index}]`;
    else if (!seg.quoted && /^[\p{L}\p{N}_$-]+$/u.test(seg.key)) out += `.${seg.key}`;
    else out += formatKey(seg.key);
  }
  return out;
}

/** Step id referenced by a path (`steps.<id>...`), if any. */
export function stepIdOf(path: ParsedPath): string | undefined {
  if (path.root !== 'steps') return undefined;
  const first = path.segments[0];
  return first !== undefined && first.kind === 'key' ? first.key : undefined;
}

// ---------------------------------------------------------------------------------------------
// Walking values

export type LookupResult =
  | { found: true; value: unknown }
  | {
      found: false;
      /** Number of segments of the path up to and including the one that failed (-1: the root). */
      failedAt: number;
      reason: string;
    };

export function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'object':
      return 'an object';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    default:
      return `a ${typeof value}`;
  }
}

/**
 * Follows `segments[from..]` from `value`. Only own properties are read (never the prototype:
 * `constructor`, `__proto__` and friends are "not found").
 */
export function walk(value: unknown, segments: PathSegment[], from: number): LookupResult {
  let current = value;
  for (let i = from; i < segments.length; i += 1) {
    const seg = segments[i] as PathSegment;
    if (seg.kind === 'index') {
      if (!Array.isArray(current)) {
        return { found: false, failedAt: i + 1, reason: `cannot index ${describeType(current)} with [${seg.index}]` };
      }
      if (seg.index >= current.length) {
        return {
          found: false,
          failedAt: i + 1,
          reason: `index ${seg.index} out of range (length ${current.length})`,
        };
      }
      current = current[seg.index];
      continue;
    }
    if (current === null || typeof current !== 'object') {
      return { found: false, failedAt: i + 1, reason: `cannot read key "${seg.key}" of ${describeType(current)}` };
    }
    if (Array.isArray(current)) {
      const hint = /^\d+$/.test(seg.key) ? ` (use [${seg.key}])` : '';
      return { found: false, failedAt: i + 1, reason: `cannot read key "${seg.key}" of an array${hint}` };
    }
    if (!hasOwn(current, seg.key)) {
      return { found: false, failedAt: i + 1, reason: `key "${seg.key}" not found` };
    }
    current = (current as Record<string, unknown>)[seg.key];
    if (current === undefined) {
      return { found: false, failedAt: i + 1, reason: `key "${seg.key}" not found` };
    }
  }
  return { found: true, value: current };
}

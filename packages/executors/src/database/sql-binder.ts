import { parseTemplateString, TemplateError } from '@vecron/context';
import { UnrecoverableStepError } from '../errors';
import type { DatabaseType } from './database.config';

/**
 * SQL text + bind values, built per dialect. The query of a database step is kept raw by the
 * worker (see DatabaseExecutor.resolveConfig): its templates are turned here into bind
 * parameters, never into SQL text.
 *
 * A query is split into pieces by a small lexer that knows where each dialect has string
 * literals, quoted identifiers, comments and placeholders; templates are found by the context
 * package's own parser (parseTemplateString), so `{{…}}`/`${…}` mean the same thing here as in
 * every other field:
 *
 * - a template in SQL code → one bind parameter holding its value (objects/arrays as JSON text);
 * - a string literal holding templates (`'%{{x}}%'`) → one bind parameter holding the literal's
 *   text with the templates rendered as text (what the author meant, without splicing);
 * - a template in a comment is left as written (not resolved, not executed);
 * - a template in a quoted identifier, dollar-quoted body or prefixed literal (E'', q'[]', X'')
 *   cannot be bound: SqlTemplateError.
 *
 * Placeholders written by the author: `$1…` (PostgreSQL), `?` (MySQL/MariaDB), `:1…` (Oracle)
 * refer to `parameters`; `:name` refers to a column of the current row when the step writes `data`.
 */

/** A part of a parsed statement. */
export type SqlPiece =
  | { kind: 'text'; text: string; code: boolean }
  /** `parameters[index]` (0-based). */
  | { kind: 'param'; index: number }
  /** A template's resolved value. */
  | { kind: 'value'; value: unknown }
  /** A column of the current data row. */
  | { kind: 'column'; name: string };

export interface ParseSqlOptions {
  /** Resolves one template (`{{path}}` / `${NAME}`) to its value, keeping its JSON type. */
  resolveTemplate?: (template: string) => unknown;
  /** Whether `:name` refers to a data row column (the step has `data`). */
  rowColumns?: boolean;
}

/** A template cannot become a bind parameter where it stands. Not retryable. */
export class SqlTemplateError extends UnrecoverableStepError {
  constructor(message: string) {
    super(message, 'DATABASE_QUERY_INVALID');
  }
}

type State =
  | { kind: 'code' }
  | { kind: 'literal'; quote: string; backslash: boolean; prefixed: boolean; raw: string; value: string; templated: boolean }
  | { kind: 'identifier'; quote: string }
  | { kind: 'line-comment' }
  | { kind: 'block-comment'; depth: number }
  | { kind: 'dollar'; tag: string }
  | { kind: 'q-quote'; close: string };

const WORD = /[A-Za-z0-9_$#]/;
const NAME_START = /[A-Za-z_]/;

/**
 * Splits `query` into pieces for `dialect`. Templates are resolved with `options.resolveTemplate`
 * (missing → SqlTemplateError naming where to set it). Throws SqlTemplateError or
 * TemplateError (a template that does not resolve).
 */
export function parseSql(query: string, dialect: DatabaseType, options: ParseSqlOptions = {}): SqlPiece[] {
  let parts;
  try {
    parts = parseTemplateString(query);
  } catch (err) {
    if (err instanceof TemplateError) throw new SqlTemplateError(`query: ${err.message}`);
    throw err;
  }
  const lexer = new SqlLexer(dialect, options);
  for (const part of parts) {
    if (part.kind === 'text') lexer.text(part.text);
    else lexer.template(part.source);
  }
  return lexer.finish();
}

class SqlLexer {
  private readonly pieces: SqlPiece[] = [];
  private state: State = { kind: 'code' };
  private code = '';
  private other = '';
  private nextPositional = 0;

  constructor(
    private readonly dialect: DatabaseType,
    private readonly options: ParseSqlOptions,
  ) {}

  finish(): SqlPiece[] {
    if (this.state.kind === 'literal') {
      // Unterminated literal: hand it to the server as written (it reports the syntax error).
      if (this.state.templated) throw new SqlTemplateError('query: unterminated string literal holding a template');
      this.other += this.state.raw;
    }
    this.flush();
    return this.pieces;
  }

  template(source: string): void {
    const s = this.state;
    switch (s.kind) {
      case 'code':
        this.flush();
        this.pieces.push({ kind: 'value', value: this.resolve(source) });
        return;
      case 'literal': {
        if (s.prefixed || s.backslash) {
          throw new SqlTemplateError(
            `query: the template ${source} is inside a string literal with escapes or a prefix; write it outside the quotes`,
          );
        }
        s.templated = true;
        s.raw += source;
        s.value += renderText(this.resolve(source));
        return;
      }
      case 'line-comment':
      case 'block-comment':
        this.other += source;
        return;
      case 'identifier':
        throw new SqlTemplateError(`query: the template ${source} is inside a quoted identifier; identifiers cannot be bound`);
      default:
        throw new SqlTemplateError(`query: the template ${source} is inside a quoted body; it cannot be bound there`);
    }
  }

  text(text: string): void {
    let i = 0;
    while (i < text.length) {
      const s = this.state;
      const ch = text[i]!;
      const next = text[i + 1];
      switch (s.kind) {
        case 'code':
          i = this.codeChar(text, i);
          continue;
        case 'literal':
          s.raw += ch;
          if (s.backslash && ch === '\\') {
            if (next !== undefined) s.raw += next;
            i += 2;
            continue;
          }
          if (ch === s.quote) {
            if (next === s.quote) {
              s.raw += next;
              s.value += ch;
              i += 2;
              continue;
            }
            this.endLiteral(s);
            i += 1;
            continue;
          }
          s.value += ch;
          i += 1;
          continue;
        case 'identifier':
          this.other += ch;
          if (ch === s.quote) {
            if (next === s.quote) {
              this.other += next;
              i += 2;
              continue;
            }
            this.state = { kind: 'code' };
          }
          i += 1;
          continue;
        case 'line-comment':
          this.other += ch;
          if (ch === '\n') this.state = { kind: 'code' };
          i += 1;
          continue;
        case 'block-comment':
          if (ch === '*' && next === '/') {
            this.other += '*/';
            i += 2;
            if (s.depth === 1) this.state = { kind: 'code' };
            else s.depth -= 1;
            continue;
          }
          if (ch === '/' && next === '*' && this.dialect === 'postgresql') {
            this.other += '/*';
            s.depth += 1;
            i += 2;
            continue;
          }
          this.other += ch;
          i += 1;
          continue;
        case 'dollar':
          if (text.startsWith(s.tag, i)) {
            this.other += s.tag;
            i += s.tag.length;
            this.state = { kind: 'code' };
            continue;
          }
          this.other += ch;
          i += 1;
          continue;
        case 'q-quote':
          if (text.startsWith(s.close, i)) {
            this.other += s.close;
            i += s.close.length;
            this.state = { kind: 'code' };
            continue;
          }
          this.other += ch;
          i += 1;
          continue;
      }
    }
  }

  /** One step in code state; returns the next index. */
  private codeChar(text: string, i: number): number {
    const ch = text[i]!;
    const next = text[i + 1];
    const prev = i > 0 ? text[i - 1] : this.code[this.code.length - 1];
    const afterWord = prev !== undefined && WORD.test(prev);
    if (ch === "'" || (ch === '"' && this.dialect === 'mysql')) {
      // Oracle q'[…]' alternative quoting.
      if (this.dialect === 'oracle' && ch === "'" && (prev === 'q' || prev === 'Q') && next !== undefined && next !== "'") {
        const before = i >= 2 ? text[i - 2] : this.code[this.code.length - 2];
        if (before === undefined || !WORD.test(before)) {
          const closeChar = ({ '[': ']', '(': ')', '{': '}', '<': '>' } as Record<string, string>)[next] ?? next;
          this.startOther(`'${next}`);
          this.state = { kind: 'q-quote', close: `${closeChar}'` };
          return i + 2;
        }
      }
      const backslash = this.dialect === 'mysql' || (this.dialect === 'postgresql' && (prev === 'E' || prev === 'e') && afterWord);
      this.state = { kind: 'literal', quote: ch, backslash, prefixed: afterWord, raw: ch, value: '', templated: false };
      return i + 1;
    }
    if (ch === '"' || (ch === '`' && this.dialect === 'mysql')) {
      this.startOther(ch);
      this.state = { kind: 'identifier', quote: ch };
      return i + 1;
    }
    if ((ch === '-' && next === '-') || (ch === '#' && this.dialect === 'mysql')) {
      this.startOther(ch);
      this.state = { kind: 'line-comment' };
      return i + 1;
    }
    if (ch === '/' && next === '*') {
      this.startOther('/*');
      this.state = { kind: 'block-comment', depth: 1 };
      return i + 2;
    }
    if (ch === '$' && this.dialect === 'postgresql' && !afterWord) {
      const digits = /^\$(\d+)/.exec(text.slice(i));
      if (digits) {
        this.param(Number(digits[1]) - 1, digits[0]);
        return i + digits[0].length;
      }
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i));
      if (tag) {
        this.startOther(tag[0]);
        this.state = { kind: 'dollar', tag: tag[0] };
        return i + tag[0].length;
      }
    }
    if (ch === '?' && this.dialect === 'mysql') {
      this.param(this.nextPositional++, '?');
      return i + 1;
    }
    if (ch === ':' && next === ':') {
      this.addCode('::');
      return i + 2;
    }
    if (ch === ':' && !afterWord && prev !== ':') {
      if (this.dialect === 'oracle' && next !== undefined && /\d/.test(next)) {
        const digits = /^:(\d+)/.exec(text.slice(i))!;
        this.param(Number(digits[1]) - 1, digits[0]);
        return i + digits[0].length;
      }
      if (this.options.rowColumns || this.dialect === 'oracle') {
        const named = /^:(?:([A-Za-z_][A-Za-z0-9_$#]*)|"([^"]+)")/.exec(text.slice(i));
        if (named && (named[2] !== undefined || NAME_START.test(named[1]![0]!))) {
          const name = named[1] ?? named[2]!;
          if (!this.options.rowColumns) {
            throw new SqlTemplateError(
              `query: :${name} names a data row column, but the step has no data; use :1, :2… for parameters`,
            );
          }
          this.flush();
          this.pieces.push({ kind: 'column', name });
          return i + named[0].length;
        }
      }
    }
    this.addCode(ch);
    return i + 1;
  }

  private param(index: number, source: string): void {
    if (index < 0) throw new SqlTemplateError(`query: invalid placeholder ${source}`);
    this.flush();
    this.pieces.push({ kind: 'param', index });
  }

  private startOther(text: string): void {
    this.flushCode();
    this.other += text;
  }

  private addCode(text: string): void {
    this.flushOther();
    this.code += text;
  }

  private endLiteral(s: Extract<State, { kind: 'literal' }>): void {
    this.state = { kind: 'code' };
    if (!s.templated) {
      this.startOther(s.raw);
      return;
    }
    this.flush();
    this.pieces.push({ kind: 'value', value: s.value });
  }

  private resolve(source: string): unknown {
    if (!this.options.resolveTemplate) {
      throw new SqlTemplateError(`query: the template ${source} cannot be resolved here (no template scope)`);
    }
    return this.options.resolveTemplate(source);
  }

  private flushCode(): void {
    if (this.code !== '') this.pieces.push({ kind: 'text', text: this.code, code: true });
    this.code = '';
  }

  private flushOther(): void {
    if (this.other !== '') this.pieces.push({ kind: 'text', text: this.other, code: false });
    this.other = '';
  }

  private flush(): void {
    this.flushCode();
    this.flushOther();
  }
}

/** A template value rendered inside a string literal (as the resolver renders text). */
function renderText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A JSON value as a driver bind value: objects and arrays as JSON text. */
export function toBindValue(value: unknown, dialect: DatabaseType): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return value;
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'bigint') return value.toString();
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  if (typeof value === 'boolean' && dialect === 'oracle') return value ? 1 : 0;
  return value;
}

/** The placeholder of the n-th (1-based) bind value. */
export function placeholder(dialect: DatabaseType, n: number): string {
  if (dialect === 'postgresql') return `$${n}`;
  if (dialect === 'mysql') return '?';
  return `:b${n}`;
}

export interface BoundSql {
  text: string;
  values: unknown[];
}

/**
 * Renders pieces to the dialect's SQL text with fresh placeholders and the matching bind values.
 * `rows` (data mode) are rendered by repeating the whole statement's column pieces for each
 * row in turn: use renderRows for multi-row INSERT.
 */
export function renderSql(pieces: readonly SqlPiece[], dialect: DatabaseType, parameters: readonly unknown[], row?: Record<string, unknown>): BoundSql {
  const values: unknown[] = [];
  const text = renderInto(pieces, dialect, parameters, row, values);
  return { text, values };
}

function renderInto(
  pieces: readonly SqlPiece[],
  dialect: DatabaseType,
  parameters: readonly unknown[],
  row: Record<string, unknown> | undefined,
  values: unknown[],
): string {
  let text = '';
  for (const piece of pieces) {
    if (piece.kind === 'text') {
      text += piece.text;
      continue;
    }
    let value: unknown;
    if (piece.kind === 'param') {
      if (piece.index >= parameters.length) {
        throw new SqlTemplateError(`query: placeholder #${piece.index + 1} has no value (parameters has ${parameters.length})`);
      }
      value = parameters[piece.index];
    } else if (piece.kind === 'value') {
      value = piece.value;
    } else {
      if (row === undefined) throw new SqlTemplateError(`query: :${piece.name} needs a data row`);
      value = Object.prototype.hasOwnProperty.call(row, piece.name) ? row[piece.name] : null;
    }
    values.push(toBindValue(value, dialect));
    text += placeholder(dialect, values.length);
  }
  return text;
}

/** A statement split around its `VALUES (…)` row group, for multi-row INSERT. */
export interface ValuesSplit {
  prefix: SqlPiece[];
  group: SqlPiece[];
  suffix: SqlPiece[];
}

/**
 * Finds the first top-level `VALUES (…)` group. Returns it only when every row column is inside
 * it and it is the only row group (so `INSERT … VALUES (:a, :b) ON CONFLICT … DO UPDATE SET
 * b = EXCLUDED.b` can be repeated for many rows in one statement); otherwise undefined.
 */
export function splitValuesGroup(pieces: readonly SqlPiece[]): ValuesSplit | undefined {
  let depth = 0;
  let word = '';
  let lastWord = '';
  let start: { piece: number; offset: number } | undefined;
  let end: { piece: number; offset: number } | undefined;
  outer: for (let p = 0; p < pieces.length; p++) {
    const piece = pieces[p]!;
    if (piece.kind !== 'text') {
      lastWord = '';
      continue;
    }
    if (!piece.code) continue;
    for (let o = 0; o < piece.text.length; o++) {
      const ch = piece.text[o]!;
      if (/[A-Za-z0-9_]/.test(ch)) {
        word += ch;
        continue;
      }
      if (word !== '') {
        lastWord = word.toUpperCase();
        word = '';
      }
      if (/\s/.test(ch)) continue;
      if (ch === '(') {
        if (depth === 0 && start === undefined && lastWord === 'VALUES') start = { piece: p, offset: o };
        depth++;
      } else if (ch === ')') {
        depth--;
        if (depth === 0 && start !== undefined) {
          end = { piece: p, offset: o + 1 };
          break outer;
        }
      }
      lastWord = '';
    }
  }
  if (start === undefined || end === undefined) return undefined;
  const [before, fromStart] = splitAt(pieces, start);
  const endInRest = { piece: end.piece - start.piece, offset: end.piece === start.piece ? end.offset - start.offset : end.offset };
  const [group, suffix] = splitAt(fromStart, endInRest);
  const hasColumn = (list: SqlPiece[]): boolean => list.some((x) => x.kind === 'column');
  if (!hasColumn(group) || hasColumn(before) || hasColumn(suffix)) return undefined;
  // Already a multi-row VALUES list.
  const after = suffix.find((x) => x.kind !== 'text' || x.text.trim() !== '');
  if (after !== undefined && after.kind === 'text' && after.text.trimStart().startsWith(',')) return undefined;
  return { prefix: before, group, suffix };
}

function splitAt(pieces: readonly SqlPiece[], at: { piece: number; offset: number }): [SqlPiece[], SqlPiece[]] {
  const left = pieces.slice(0, at.piece);
  const right = pieces.slice(at.piece + 1);
  const piece = pieces[at.piece]!;
  if (piece.kind !== 'text') return [left, [piece, ...right]];
  const a = piece.text.slice(0, at.offset);
  const b = piece.text.slice(at.offset);
  if (a !== '') left.push({ ...piece, text: a });
  if (b !== '') right.unshift({ ...piece, text: b });
  return [left, right];
}

/** Multi-row INSERT: the row group repeated once per row. */
export function renderRows(split: ValuesSplit, dialect: DatabaseType, parameters: readonly unknown[], rows: readonly Record<string, unknown>[]): BoundSql {
  const values: unknown[] = [];
  let text = renderInto(split.prefix, dialect, parameters, undefined, values);
  text += rows.map((row) => renderInto(split.group, dialect, parameters, row, values)).join(', ');
  text += renderInto(split.suffix, dialect, parameters, undefined, values);
  return { text, values };
}

/** Number of bind values one row group uses (to keep a batch under the driver's limit). */
export function bindsPerRow(split: ValuesSplit): number {
  return split.group.filter((p) => p.kind !== 'text').length;
}

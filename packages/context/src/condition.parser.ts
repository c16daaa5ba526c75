import { ConditionSyntaxError } from './errors';
import {
  formatPath,
  isRootStart,
  type ParsedPath,
  parsePathAt,
  PathSyntaxError,
  readIdentifier,
  readQuoted,
  skipWs,
  stepIdOf,
} from './path';

/**
 * The condition language (a step's `condition`, file filters), parsed by a hand-written
 * tokenizer and recursive-descent parser; never eval/Function/vm.
 *
 *   expr     := or
 *   or       := and ('||' and)*
 *   and      := equality ('&&' equality)*
 *   equality := relation (('==' | '!=') relation)*
 *   relation := unary (('<' | '<=' | '>' | '>=') unary)*
 *   unary    := '!' unary | primary
 *   primary  := number | string | true | false | null | path | '{{' path '}}' | '${' NAME '}'
 *             | exists '(' path ')' | len '(' path ')' | '(' expr ')'
 *
 * Precedence is JavaScript's: `!` binds tightest, then relational, equality, `&&`, `||`.
 * Numbers: `-?digits[.digits][e[+-]digits]`. Strings: single or double quotes with escapes
 * \\ \' \" \/ \n \r \t \b \f \uXXXX. Paths are those of templates (`steps.x.output.rows[0].count`,
 * `['quoted key']`, the `response` alias), optionally wrapped in `{{ }}`; `${NAME}` is
 * `variables.NAME`.
 */

export type CompareOperator = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type LogicalOperator = '&&' | '||';
export type ConditionFunction = 'exists' | 'len';

export interface PathNode {
  type: 'path';
  path: ParsedPath;
  /** Canonical text of the path, for messages. */
  text: string;
  position: number;
}

export type ConditionAst =
  | { type: 'literal'; value: string | number | boolean | null; position: number }
  | PathNode
  | { type: 'call'; name: ConditionFunction; argument: PathNode; position: number }
  | { type: 'not'; operand: ConditionAst; position: number }
  | { type: 'compare'; operator: CompareOperator; left: ConditionAst; right: ConditionAst; position: number }
  /** n-ary: `a && b && c` is one node with three operands, evaluated left to right, short-circuit. */
  | { type: 'logical'; operator: LogicalOperator; operands: ConditionAst[]; position: number };

export interface ParseConditionOptions {
  /**
   * Accept any root name (a path is then a key path into the value given to
   * evaluateRowCondition, e.g. `amount > 100 && ['Customer Name'] != ''`). Default false:
   * only context roots (steps, webhook, variables, files, execution_id, …).
   */
  anyRoot?: boolean;
}

/** Deepest nesting accepted: parentheses, `!` and chained comparisons each add a level. */
const MAX_DEPTH = 100;

type Token =
  | { kind: 'number'; value: number; pos: number; text: string }
  | { kind: 'string'; value: string; pos: number; text: string }
  | { kind: 'keyword'; value: true | false | null; pos: number; text: string }
  | { kind: 'path'; path: ParsedPath; pos: number; text: string }
  | { kind: 'function'; name: ConditionFunction; pos: number; text: string }
  | { kind: 'op'; op: CompareOperator | LogicalOperator | '!'; pos: number; text: string }
  | { kind: 'lparen' | 'rparen' | 'comma'; pos: number; text: string }
  | { kind: 'eof'; pos: number; text: string };

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const TWO_CHAR_OPS = ['==', '!=', '<=', '>=', '&&', '||'] as const;
const WORD_HINTS: Record<string, string> = { and: '&&', or: '||', not: '!' };

function tokenize(src: string, options: ParseConditionOptions): Token[] {
  const tokens: Token[] = [];
  const fail = (reason: string, pos: number): never => {
    throw new ConditionSyntaxError(reason, pos, src);
  };
  const readPath = (pos: number): { path: ParsedPath; end: number } => {
    try {
      return parsePathAt(src, pos, { anyRoot: options.anyRoot });
    } catch (err) {
      if (err instanceof PathSyntaxError) return fail(err.reason, err.position);
      throw err;
    }
  };
  let i = 0;
  for (;;) {
    i = skipWs(src, i);
    if (i >= src.length) break;
    const ch = src[i] as string;
    const start = i;
    const two = src.slice(i, i + 2);
    if ((TWO_CHAR_OPS as readonly string[]).includes(two)) {
      tokens.push({ kind: 'op', op: two as CompareOperator | LogicalOperator, pos: i, text: two });
      i += 2;
      continue;
    }
    if (ch === '<' || ch === '>' || ch === '!') {
      tokens.push({ kind: 'op', op: ch, pos: i, text: ch });
      i += 1;
      continue;
    }
    if (ch === '=') fail('unexpected "=" (use "==" to compare)', i);
    if (ch === '&') fail('unexpected "&" (use "&&")', i);
    if (ch === '|') fail('unexpected "|" (use "||")', i);
    if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ kind: ch === '(' ? 'lparen' : ch === ')' ? 'rparen' : 'comma', pos: i, text: ch });
      i += 1;
      continue;
    }
    if (ch === "'" || ch === '"') {
      let quoted: { value: string; end: number };
      try {
        quoted = readQuoted(src, i);
      } catch (err) {
        if (err instanceof PathSyntaxError) return fail(err.reason, err.position);
        throw err;
      }
      tokens.push({ kind: 'string', value: quoted.value, pos: i, text: src.slice(i, quoted.end) });
      i = quoted.end;
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === '-' && /[0-9]/.test(src[i + 1] ?? ''))) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(src);
      const text = m === null ? ch : m[0];
      const value = Number(text);
      if (!Number.isFinite(value)) fail(`number ${text} is out of range`, i);
      i += text.length;
      if (/[A-Za-z0-9_.]/.test(src[i] ?? '')) fail(`invalid number "${text}${src[i] as string}"`, start);
      tokens.push({ kind: 'number', value, pos: start, text });
      continue;
    }
    if (ch === '{' && src[i + 1] === '{') {
      const bodyStart = skipWs(src, i + 2);
      if (src.startsWith('}}', bodyStart)) fail('empty path in "{{ }}"', i);
      if (bodyStart >= src.length) fail('unclosed "{{" (missing "}}")', i);
      const { path, end } = readPath(bodyStart);
      const close = skipWs(src, end);
      if (!src.startsWith('}}', close)) {
        if (close >= src.length) fail('unclosed "{{" (missing "}}")', i);
        fail(`unexpected character "${src[close] as string}" in path (expected "}}")`, close);
      }
      tokens.push({ kind: 'path', path, pos: i, text: src.slice(i, close + 2) });
      i = close + 2;
      continue;
    }
    if (ch === '$' && src[i + 1] === '{') {
      const close = src.indexOf('}', i + 2);
      if (close === -1) fail('unclosed "${" (missing "}")', i);
      const name = src.slice(i + 2, close).trim();
      if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) fail(`invalid variable name "${name.slice(0, 40)}"`, i);
      tokens.push({
        kind: 'path',
        path: { root: 'variables', segments: [{ kind: 'key', key: name, quoted: name.includes('.') }] },
        pos: i,
        text: src.slice(i, close + 1),
      });
      i = close + 1;
      continue;
    }
    if (isRootStart(ch) || (options.anyRoot === true && ch === '[')) {
      if (ch !== '[') {
        const { name, end } = readIdentifier(src, i);
        const next = src[end];
        if ((name === 'true' || name === 'false' || name === 'null') && next !== '.' && next !== '[') {
          tokens.push({ kind: 'keyword', value: name === 'null' ? null : name === 'true', pos: i, text: name });
          i = end;
          continue;
        }
        if (src[skipWs(src, end)] === '(') {
          if (name !== 'exists' && name !== 'len') fail(`unknown function "${name}" (expected exists or len)`, i);
          tokens.push({ kind: 'function', name: name as ConditionFunction, pos: i, text: name });
          i = end;
          continue;
        }
        const hint = Object.prototype.hasOwnProperty.call(WORD_HINTS, name) ? WORD_HINTS[name] : undefined;
        if (hint !== undefined && options.anyRoot !== true) fail(`unexpected "${name}" (use "${hint}")`, i);
      }
      const { path, end } = readPath(i);
      tokens.push({ kind: 'path', path, pos: i, text: src.slice(i, end) });
      i = end;
      continue;
    }
    const shown = String.fromCodePoint(src.codePointAt(i) as number);
    fail(`unexpected character ${JSON.stringify(shown)}`, i);
  }
  tokens.push({ kind: 'eof', pos: src.length, text: '' });
  return tokens;
}

function describe(token: Token): string {
  if (token.kind === 'eof') return 'end of condition';
  const text = token.text.length > 40 ? `${token.text.slice(0, 40)}…` : token.text;
  return `token ${JSON.stringify(text)}`;
}

class Parser {
  private index = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly src: string,
  ) {}

  private peek(): Token {
    return this.tokens[this.index] as Token;
  }

  private next(): Token {
    const token = this.tokens[this.index] as Token;
    if (token.kind !== 'eof') this.index += 1;
    return token;
  }

  private fail(reason: string, pos: number): never {
    throw new ConditionSyntaxError(reason, pos, this.src);
  }

  private unexpected(token: Token, expected?: string): never {
    const what = `unexpected ${describe(token)}`;
    return this.fail(expected === undefined ? what : `${what} (expected ${expected})`, token.pos);
  }

  private isOp(...ops: string[]): boolean {
    const t = this.peek();
    return t.kind === 'op' && ops.includes(t.op);
  }

  private checkDepth(depth: number, pos: number): void {
    if (depth > MAX_DEPTH) this.fail(`condition nested too deeply (more than ${MAX_DEPTH} levels)`, pos);
  }

  parse(): ConditionAst {
    if (this.peek().kind === 'eof') this.fail('empty condition', 0);
    const ast = this.parseOr(0);
    const rest = this.peek();
    if (rest.kind !== 'eof') this.unexpected(rest);
    return ast;
  }

  private parseLogical(
    operator: LogicalOperator,
    depth: number,
    operand: (depth: number) => ConditionAst,
  ): ConditionAst {
    const first = operand(depth);
    if (!this.isOp(operator)) return first;
    const operands = [first];
    const position = this.peek().pos;
    while (this.isOp(operator)) {
      this.next();
      operands.push(operand(depth));
    }
    return { type: 'logical', operator, operands, position };
  }

  private parseOr(depth: number): ConditionAst {
    return this.parseLogical('||', depth, (d) => this.parseAnd(d));
  }

  private parseAnd(depth: number): ConditionAst {
    return this.parseLogical('&&', depth, (d) => this.parseEquality(d));
  }

  private parseChain(
    ops: CompareOperator[],
    depth: number,
    operand: (depth: number) => ConditionAst,
  ): ConditionAst {
    let left = operand(depth);
    let level = depth;
    while (this.isOp(...ops)) {
      const opToken = this.next() as Extract<Token, { kind: 'op' }>;
      level += 1;
      this.checkDepth(level, opToken.pos);
      const right = operand(level);
      left = { type: 'compare', operator: opToken.op as CompareOperator, left, right, position: opToken.pos };
    }
    return left;
  }

  private parseEquality(depth: number): ConditionAst {
    return this.parseChain(['==', '!='], depth, (d) => this.parseRelation(d));
  }

  private parseRelation(depth: number): ConditionAst {
    return this.parseChain(['<', '<=', '>', '>='], depth, (d) => this.parseUnary(d));
  }

  private parseUnary(depth: number): ConditionAst {
    this.checkDepth(depth, this.peek().pos);
    if (this.isOp('!')) {
      const bang = this.next();
      return { type: 'not', operand: this.parseUnary(depth + 1), position: bang.pos };
    }
    return this.parsePrimary(depth);
  }

  private parsePrimary(depth: number): ConditionAst {
    const token = this.next();
    switch (token.kind) {
      case 'number':
      case 'string':
      case 'keyword':
        return { type: 'literal', value: token.value, position: token.pos };
      case 'path':
        return { type: 'path', path: token.path, text: formatPath(token.path), position: token.pos };
      case 'function': {
        const open = this.next();
        if (open.kind !== 'lparen') this.unexpected(open, '"("');
        const arg = this.next();
        if (arg.kind !== 'path') this.unexpected(arg, `a path as the argument of ${token.name}()`);
        const close = this.next();
        if (close.kind !== 'rparen') this.unexpected(close, `")" after the argument of ${token.name}()`);
        return {
          type: 'call',
          name: token.name,
          argument: { type: 'path', path: arg.path, text: formatPath(arg.path), position: arg.pos },
          position: token.pos,
        };
      }
      case 'lparen': {
        this.checkDepth(depth + 1, token.pos);
        const inner = this.parseOr(depth + 1);
        const close = this.next();
        if (close.kind !== 'rparen') this.unexpected(close, '")"');
        return inner;
      }
      default:
        return this.unexpected(token, 'a value, a path or "("');
    }
  }
}

/**
 * Parses a condition into an AST. Throws ConditionSyntaxError (with `position`, the 0-based
 * offset) for anything malformed, and nothing else.
 */
export function parseCondition(src: string, options: ParseConditionOptions = {}): ConditionAst {
  if (typeof src !== 'string') throw new ConditionSyntaxError('condition must be a string', 0, String(src));
  return new Parser(tokenize(src, options), src).parse();
}

/** Calls `fn` for every path of a condition (operands, exists/len arguments), in order of appearance. */
function eachPath(node: ConditionAst, fn: (path: PathNode) => void): void {
  switch (node.type) {
    case 'path':
      fn(node);
      return;
    case 'call':
      fn(node.argument);
      return;
    case 'not':
      eachPath(node.operand, fn);
      return;
    case 'compare':
      eachPath(node.left, fn);
      eachPath(node.right, fn);
      return;
    case 'logical':
      for (const operand of node.operands) eachPath(operand, fn);
      return;
    default:
      return;
  }
}

/**
 * Step ids read by a condition (`steps.<id>...`, incl. the `response` alias and exists/len
 * arguments), unique, in order of appearance. Given a string, parses it first (throws
 * ConditionSyntaxError when malformed).
 */
export function conditionStepReferences(condition: ConditionAst | string): string[] {
  const ast = typeof condition === 'string' ? parseCondition(condition) : condition;
  const ids: string[] = [];
  eachPath(ast, (node) => {
    const id = stepIdOf(node.path);
    if (id !== undefined && !ids.includes(id)) ids.push(id);
  });
  return ids;
}

/**
 * Root names of the paths of a condition (`amount` of `amount > 100`, `Customer Name` of
 * `['Customer Name'] != ''`, exists/len arguments included), unique, in order of appearance:
 * the only keys of a row that evaluateRowCondition reads.
 */
export function conditionPathRoots(condition: ConditionAst): string[] {
  const roots: string[] = [];
  eachPath(condition, (node) => {
    if (!roots.includes(node.path.root)) roots.push(node.path.root);
  });
  return roots;
}

import { type ConditionAst, type ParseConditionOptions, parseCondition, type PathNode } from './condition.parser';
import { ConditionError } from './errors';
import { describeType, formatPath, type LookupResult, type ParsedPath, walk } from './path';
import { lookupPath, type TemplateScope } from './template-scope';

/**
 * Evaluation rules:
 * - A path that cannot be resolved is a ConditionError naming it (`steps.x.output.a: key "a" not
 *   found`), except inside exists(), which is then false. Guard with `exists(p) && p > 0`:
 *   `&&` and `||` short-circuit.
 * - exists(path) is true when the path resolves, even to null.
 * - len(path): string length in Unicode code points, array length, object key count; anything
 *   else (or a missing path) is a ConditionError.
 * - `==` / `!=`: strict equality, no coercion (`1 == '1'` is false); arrays and objects compare
 *   deeply; null equals only null.
 * - `<` `<=` `>` `>=`: numbers with numbers, or strings with strings (UTF-16 code unit order, so
 *   ISO-8601 timestamps compare chronologically); any other pair is a ConditionError.
 * - No truthiness: the operands of `&&`, `||`, `!` and the final value must be booleans,
 *   otherwise a ConditionError (write `len(p) > 0`, not `p`).
 * - Dates found in values (in-memory outputs) read as ISO-8601 strings, as they are stored.
 */

type Resolve = (path: ParsedPath) => LookupResult;

function kindOf(value: unknown): string {
  return describeType(value);
}

function normalize(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  return value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  const x = normalize(a);
  const y = normalize(b);
  if (x === y) return true;
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
  if (Array.isArray(x) !== Array.isArray(y)) return false;
  if (Array.isArray(x) && Array.isArray(y)) {
    return x.length === y.length && x.every((item, i) => deepEqual(item, y[i]));
  }
  const xo = x as Record<string, unknown>;
  const yo = y as Record<string, unknown>;
  const xk = Object.keys(xo);
  const yk = Object.keys(yo);
  if (xk.length !== yk.length) return false;
  return xk.every((k) => Object.prototype.hasOwnProperty.call(yo, k) && deepEqual(xo[k], yo[k]));
}

class Evaluator {
  constructor(
    private readonly resolve: Resolve,
    private readonly expression: string | undefined,
  ) {}

  private fail(reason: string, path?: string, missing?: string): never {
    throw new ConditionError({ reason, expression: this.expression, path, missing });
  }

  private read(node: PathNode): unknown {
    const result = this.resolve(node.path);
    if (!result.found) {
      this.fail(result.reason, node.text, formatPath(node.path, Math.max(0, result.failedAt)));
    }
    return normalize(result.value);
  }

  private boolean(node: ConditionAst, what: string): boolean {
    const value = this.value(node);
    if (typeof value !== 'boolean') {
      const source = node.type === 'path' ? ` (${node.text})` : '';
      this.fail(`${what} expects a boolean, got ${kindOf(value)}${source}`);
    }
    return value;
  }

  value(node: ConditionAst): unknown {
    switch (node.type) {
      case 'literal':
        return node.value;
      case 'path':
        return this.read(node);
      case 'call': {
        if (node.name === 'exists') return this.resolve(node.argument.path).found;
        const value = this.read(node.argument);
        if (typeof value === 'string') return Array.from(value).length;
        if (Array.isArray(value)) return value.length;
        if (value !== null && typeof value === 'object') return Object.keys(value).length;
        return this.fail(`len() expects a string, an array or an object, got ${kindOf(value)} (${node.argument.text})`);
      }
      case 'not':
        return !this.boolean(node.operand, '"!"');
      case 'logical': {
        const stopOn = node.operator === '||';
        for (const operand of node.operands) {
          if (this.boolean(operand, `"${node.operator}"`) === stopOn) return stopOn;
        }
        return !stopOn;
      }
      case 'compare': {
        const left = this.value(node.left);
        const right = this.value(node.right);
        switch (node.operator) {
          case '==':
            return deepEqual(left, right);
          case '!=':
            return !deepEqual(left, right);
          default: {
            const comparable =
              (typeof left === 'number' && typeof right === 'number') ||
              (typeof left === 'string' && typeof right === 'string');
            if (!comparable) {
              this.fail(`cannot compare ${kindOf(left)} with ${kindOf(right)} using "${node.operator}"`);
            }
            const l = left as number | string;
            const r = right as number | string;
            if (node.operator === '<') return l < r;
            if (node.operator === '<=') return l <= r;
            if (node.operator === '>') return l > r;
            return l >= r;
          }
        }
      }
      default:
        return this.fail('unknown condition node');
    }
  }

  run(ast: ConditionAst): boolean {
    const value = this.value(ast);
    if (typeof value !== 'boolean') this.fail(`condition must evaluate to a boolean, got ${kindOf(value)}`);
    return value;
  }
}

function toAst(condition: ConditionAst | string, options: ParseConditionOptions): ConditionAst {
  return typeof condition === 'string' ? parseCondition(condition, options) : condition;
}

/**
 * Evaluates a step condition against the scope (context + variables + system values).
 * Given a string, parses it first (ConditionSyntaxError). Evaluation problems throw
 * ConditionError. Nothing else is thrown.
 */
export function evaluateCondition(condition: ConditionAst | string, scope: TemplateScope): boolean {
  const ast = toAst(condition, {});
  const expression = typeof condition === 'string' ? condition : undefined;
  return new Evaluator((path) => lookupPath(path, scope), expression).run(ast);
}

/**
 * Evaluates a condition whose paths are keys of `row` (e.g. a file_processing filter:
 * `amount > 100 && status == 'paid'`, `['Customer Name'] != ''`). Strings are parsed with
 * `{ anyRoot: true }`. Same rules as evaluateCondition.
 */
export function evaluateRowCondition(condition: ConditionAst | string, row: unknown): boolean {
  const ast = toAst(condition, { anyRoot: true });
  const expression = typeof condition === 'string' ? condition : undefined;
  const resolve: Resolve = (path) => {
    const result = walk(row, [{ kind: 'key', key: path.root, quoted: true }, ...path.segments], 0);
    // walk counts the root as a segment; failedAt counts segments after the root.
    return result.found ? result : { ...result, failedAt: result.failedAt - 1 };
  };
  return new Evaluator(resolve, expression).run(ast);
}

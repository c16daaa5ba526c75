import { sampleContext, sampleScope } from '../test/scope.fixture';
import { evaluateCondition, evaluateRowCondition } from './condition.evaluator';
import { type ConditionAst, conditionPathRoots, conditionStepReferences, parseCondition } from './condition.parser';
import { ConditionError, ConditionSyntaxError } from './errors';

const scope = sampleScope();
const evaluate = (src: string): boolean => evaluateCondition(src, scope);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error, nothing was thrown');
}

function syntaxErrorOf(src: string): ConditionSyntaxError {
  const err = thrown(() => parseCondition(src));
  if (!(err instanceof ConditionSyntaxError)) throw new Error(`expected ConditionSyntaxError, got ${String(err)}`);
  return err;
}

function conditionErrorOf(src: string): ConditionError {
  const err = thrown(() => evaluate(src));
  if (!(err instanceof ConditionError)) throw new Error(`expected ConditionError, got ${String(err)}`);
  return err;
}

describe('evaluateCondition: operators', () => {
  test.each<[string, boolean]>([
    ['1 == 1', true],
    ['1 == 2', false],
    ['1 != 2', true],
    ["'a' != 'a'", false],
    ['1 < 2', true],
    ['2 < 2', false],
    ['2 <= 2', true],
    ['3 <= 2', false],
    ['3 > 2', true],
    ['2 > 2', false],
    ['2 >= 2', true],
    ['1 >= 2', false],
    ['-1.5 < -1', true],
    ['1e3 == 1000', true],
    ["'abc' < 'abd'", true],
    ["'2024-01-02T00:00:00Z' > '2024-01-01T23:59:59Z'", true],
    ['true && true', true],
    ['true && false', false],
    ['false || true', true],
    ['false || false', false],
    ['!false', true],
    ['!true', false],
    ['!!true', true],
    ['null == null', true],
    ['true == true', true],
    ["1 == '1'", false],
    ["null != ''", true],
    ['0 == false', false],
  ])('%s → %s', (src, expected) => {
    expect(evaluate(src)).toBe(expected);
  });
});

describe('evaluateCondition: precedence and parentheses', () => {
  test.each<[string, boolean]>([
    ['true || false && false', true],
    ['(true || false) && false', false],
    ['false && false || true', true],
    ['false && (false || true)', false],
    ['!false && false', false],
    ['!(false && false)', true],
    ['1 < 2 == true', true],
    ['2 > 1 == 1 > 2', false],
    ['1 == 1 && 2 == 2 && 3 == 3 && 4 == 5', false],
    ['1 == 2 || 2 == 3 || 3 == 3', true],
    ['((((1 == 1))))', true],
    ['!(1 > 2) && (2 >= 2 || false)', true],
  ])('%s → %s', (src, expected) => {
    expect(evaluate(src)).toBe(expected);
  });

  it('builds the AST with JavaScript precedence', () => {
    expect(parseCondition('!a.b == 1', { anyRoot: true })).toMatchObject({
      type: 'compare',
      operator: '==',
      left: { type: 'not', operand: { type: 'path', text: 'a.b' } },
      right: { type: 'literal', value: 1 },
    });
    expect(parseCondition('true || false && false')).toMatchObject({
      type: 'logical',
      operator: '||',
      operands: [{ type: 'literal', value: true }, { type: 'logical', operator: '&&' }],
    });
  });
});

describe('evaluateCondition: paths into the context', () => {
  test.each<[string, boolean]>([
    ['steps.check.output.rows[0].count > 0', true],
    ['steps.check.response.rows[0].count == 3', true],
    ["steps.fetch.status == 'success'", true],
    ["steps.gone.status == 'skipped'", true],
    ['steps.fetch.output.status == 200 && steps.fetch.output.body.ok', true],
    ['{{ steps.fetch.output.body.total }} == 2', true],
    ['{{steps.fetch.response.body.ok}}', true],
    ["steps.fetch.output.body['x.y'] == 'dot-key'", true],
    ['steps.fetch.output.body["a b"] == "space-key"', true],
    ['steps.fetch.output.body.nothing == null', true],
    ["webhook.payload.user.name == 'Lan'", true],
    ["webhook.headers.x-signature == 'sig'", true],
    ["variables.REGION == 'ap-southeast-1'", true],
    ["${API_KEY} == 'k-123'", true],
    ["execution_date == '2024-03-02'", true],
    ['attempt > 1', true],
    ["trigger_source == 'manual' && job_id == 'job-1' && execution_id == 'exec-1'", true],
    ["files[0].mime_type == 'text/csv'", true],
    ['webhook.payload.user.tags == webhook.payload.user.tags', true],
    ["steps.check.output.rows[0].name == 'Zoë'", true],
  ])('%s → %s', (src, expected) => {
    expect(evaluate(src)).toBe(expected);
  });

  it('compares arrays and objects deeply', () => {
    const ctx = sampleContext();
    ctx.steps.fetch = { ...ctx.steps.fetch!, output: { a: { x: [1, { y: 2 }] }, b: { x: [1, { y: 2 }] }, c: { x: [1] } } };
    const s = sampleScope(ctx);
    expect(evaluateCondition('steps.fetch.output.a == steps.fetch.output.b', s)).toBe(true);
    expect(evaluateCondition('steps.fetch.output.a != steps.fetch.output.c', s)).toBe(true);
  });
});

describe('exists() and len()', () => {
  test.each<[string, boolean]>([
    ['exists(steps.fetch.output.body.items)', true],
    ['exists(steps.fetch.output.body.nothing)', true],
    ['exists(steps.fetch.output.body.nope)', false],
    ['exists(steps.gone.output)', false],
    ['exists(steps.never.output.x)', false],
    ['exists(variables.NOPE)', false],
    ['exists(variables.API_KEY)', true],
    ['exists({{ webhook.payload.user_id }})', true],
    ['!exists(steps.fetch.output.body.items[5])', true],
    ['exists(steps.fetch.output.body.nope) && steps.fetch.output.body.nope > 0', false],
    ['!exists(steps.fetch.output.body.nope) || steps.fetch.output.body.nope > 0', true],
    ['len(steps.fetch.output.body.items) == 2', true],
    ['len(steps.fetch.output.body.nested) == 1', true],
    ["len(webhook.payload.user.name) == 3", true],
    ['len(steps.check.output.rows[0].name) == 3', true],
    ['len(steps.fetch.output.body.empty) == 0', true],
    ['len (steps.fetch.output.body.items) > 1', true],
  ])('%s → %s', (src, expected) => {
    expect(evaluate(src)).toBe(expected);
  });

  it('len() counts code points', () => {
    const ctx = sampleContext();
    ctx.steps.fetch = { ...ctx.steps.fetch!, output: { s: '😀a' } };
    expect(evaluateCondition('len(steps.fetch.output.s) == 2', sampleScope(ctx))).toBe(true);
  });
});

describe('string literals', () => {
  test.each<[string, boolean]>([
    ["'it\\'s' == \"it's\"", true],
    ['"say \\"hi\\"" == \'say "hi"\'', true],
    ["'a\\\\b' == \"a\\\\b\"", true],
    ["len('\\n\\t') == 2", false],
    ["'\\u0041' == 'A'", true],
    ["'' == \"\"", true],
    ["'a' < 'b'", true],
  ])('%s → %s', (src, expected) => {
    if (src.startsWith('len(')) {
      // len() takes a path only: a literal is a syntax error
      expect(() => parseCondition(src)).toThrow(ConditionSyntaxError);
      return;
    }
    expect(evaluate(src)).toBe(expected);
  });
});

describe('syntax errors (exact messages and positions)', () => {
  test.each<[string, string, number]>([
    ['(1 == 1))', 'unexpected token ")" at position 8', 8],
    ['steps.a.output.x == 1 )', 'unexpected token ")" at position 22', 22],
    ['', 'empty condition at position 0', 0],
    ['   ', 'empty condition at position 0', 0],
    ['1 ==', 'unexpected end of condition (expected a value, a path or "(") at position 4', 4],
    ['(1 == 1', 'unexpected end of condition (expected ")") at position 7', 7],
    ['1 = 1', 'unexpected "=" (use "==" to compare) at position 2', 2],
    ['true & false', 'unexpected "&" (use "&&") at position 5', 5],
    ['true | false', 'unexpected "|" (use "||") at position 5', 5],
    ['true and false', 'unexpected "and" (use "&&") at position 5', 5],
    ['and', 'unexpected "and" (use "&&") at position 0', 0],
    ["'abc", "unterminated string (missing closing ') at position 0", 0],
    ['"ab\\qc"', 'invalid escape "\\q" at position 3', 3],
    ["'\\u12'", 'invalid \\u escape (expected 4 hex digits) at position 1', 1],
    ['foo.bar == 1', 'unknown root "foo" (expected one of steps, webhook, variables, files, execution_id, job_id, execution_date, attempt, trigger_source) at position 0', 0],
    ['steps.a.output.items[-1] > 0', 'negative index -1 is not allowed (indexes start at 0) at position 21', 21],
    ['steps.a.output.items[x] > 0', 'invalid index "x" (expected a non-negative integer or a quoted key) at position 21', 21],
    ['size(steps.a.output)', 'unknown function "size" (expected exists or len) at position 0', 0],
    ['exists(1)', 'unexpected token "1" (expected a path as the argument of exists()) at position 7', 7],
    ['exists steps.a', 'unknown root "exists" (expected one of steps, webhook, variables, files, execution_id, job_id, execution_date, attempt, trigger_source) at position 0', 0],
    ['len(steps.a.output', 'unexpected end of condition (expected ")" after the argument of len()) at position 18', 18],
    ['1 == 1 #', 'unexpected character "#" at position 7', 7],
    ['12abc > 1', 'invalid number "12a" at position 0', 0],
    ['1 2', 'unexpected token "2" at position 2', 2],
    ['{{ steps.a.output', 'unclosed "{{" (missing "}}") at position 0', 0],
    ['{{}} == 1', 'empty path in "{{ }}" at position 0', 0],
    ['${API_KEY == 1', 'unclosed "${" (missing "}") at position 0', 0],
    ['${A B} == 1', 'invalid variable name "A B" at position 0', 0],
    ['1e999 > 1', 'number 1e999 is out of range at position 0', 0],
    ['steps.a. == 1', 'expected a key after "." but found " " at position 8', 8],
  ])('%s', (src, message, position) => {
    const err = syntaxErrorOf(src);
    expect(err.message).toBe(message);
    expect(err.position).toBe(position);
    expect(err.expression).toBe(src);
  });

  it('rejects nesting deeper than 100 levels', () => {
    const deep = `${'('.repeat(200)}true${')'.repeat(200)}`;
    expect(syntaxErrorOf(deep).message).toMatch(/^condition nested too deeply \(more than 100 levels\) at position \d+$/);
    expect(syntaxErrorOf(`${'!'.repeat(5000)}true`).message).toMatch(/nested too deeply/);
    expect(evaluate(`${'('.repeat(30)}true${')'.repeat(30)}`)).toBe(true);
  });

  it('accepts a long flat chain of && (n-ary node)', () => {
    expect(evaluate(Array.from({ length: 500 }, () => '1 == 1').join(' && '))).toBe(true);
  });
});

describe('evaluation errors (exact messages)', () => {
  test.each<[string, string]>([
    ['steps.fetch.output.body.nope > 0', 'steps.fetch.output.body.nope: key "nope" not found'],
    ['steps.check.output.rows[1].count > 0', 'steps.check.output.rows[1]: index 1 out of range (length 1)'],
    ['steps.gone.output.x == 1', 'steps.gone.output: step "gone" has no output (status skipped)'],
    ['steps.never.status == "success"', 'steps.never: step "never" not found in the context'],
    ['variables.NOPE == "x"', 'variables.NOPE: variable NOPE is not defined'],
    ["'a' < 1", 'cannot compare a string with a number using "<"'],
    ['null >= 0', 'cannot compare null with a number using ">="'],
    ['true > false', 'cannot compare a boolean with a boolean using ">"'],
    ['steps.fetch.output.body.items > 1', 'cannot compare an array with a number using ">"'],
    ['steps.fetch.output.body.total', 'condition must evaluate to a boolean, got a number'],
    ["'yes'", 'condition must evaluate to a boolean, got a string'],
    ['1 && true', '"&&" expects a boolean, got a number'],
    ['false || steps.fetch.output.body.items', '"||" expects a boolean, got an array (steps.fetch.output.body.items)'],
    ['!steps.fetch.output.status', '"!" expects a boolean, got a number (steps.fetch.output.status)'],
    ['len(steps.fetch.output.status) > 0', 'len() expects a string, an array or an object, got a number (steps.fetch.output.status)'],
    ['len(steps.fetch.output.body.nothing) > 0', 'len() expects a string, an array or an object, got null (steps.fetch.output.body.nothing)'],
    ['len(steps.fetch.output.nope) > 0', 'steps.fetch.output.nope: key "nope" not found'],
    ["execution_id == 'exec-1' && webhook.payload.nope", 'webhook.payload.nope: key "nope" not found'],
  ])('%s', (src, message) => {
    const err = conditionErrorOf(src);
    expect(err.message).toBe(message);
    expect(err.expression).toBe(src);
  });

  it('a missing path names both the whole path and the missing part', () => {
    const err = conditionErrorOf('steps.check.output.rows[1].count > 0');
    expect(err.path).toBe('steps.check.output.rows[1].count');
    expect(err.missing).toBe('steps.check.output.rows[1]');
  });

  it('short-circuits: the right side of a decided && / || is not evaluated', () => {
    expect(evaluate('false && steps.nope.output.x')).toBe(false);
    expect(evaluate('true || steps.nope.output.x')).toBe(true);
  });

  it('evaluates a parsed AST (no expression in errors then)', () => {
    const ast: ConditionAst = parseCondition('steps.check.output.row_count >= 1');
    expect(evaluateCondition(ast, scope)).toBe(true);
    const err = thrown(() => evaluateCondition(parseCondition("'a' < 1"), scope)) as ConditionError;
    expect(err).toBeInstanceOf(ConditionError);
    expect(err.expression).toBeUndefined();
  });
});

describe('evaluateRowCondition', () => {
  const row = { amount: 150, status: 'paid', 'Customer Name': 'An', tags: ['vip'], note: null };

  test.each<[string, boolean]>([
    ["amount > 100 && status == 'paid'", true],
    ['amount < 100', false],
    ["['Customer Name'] == 'An'", true],
    ['len(tags) == 1 && tags[0] == "vip"', true],
    ['note == null && exists(note) && !exists(missing)', true],
    ['{{amount}} >= 150', true],
  ])('%s → %s', (src, expected) => {
    expect(evaluateRowCondition(src, row)).toBe(expected);
  });

  it('names a missing column', () => {
    const err = thrown(() => evaluateRowCondition('total > 1', row)) as ConditionError;
    expect(err).toBeInstanceOf(ConditionError);
    expect(err.message).toBe('total: key "total" not found');
  });
});

describe('conditionPathRoots', () => {
  it('lists the root names of paths and exists/len arguments, once each, in order', () => {
    expect(conditionPathRoots(parseCondition("amount > 100 && (exists(note) || len(['Customer Name']) > 0) && !(status == 'void') && amount.x != 1", { anyRoot: true }))).toEqual([
      'amount',
      'note',
      'Customer Name',
      'status',
    ]);
  });

  it('is empty for a condition of literals', () => {
    expect(conditionPathRoots(parseCondition('1 == 1', { anyRoot: true }))).toEqual([]);
  });
});

describe('conditionStepReferences', () => {
  it('lists step ids of paths, exists/len arguments and the response alias', () => {
    expect(
      conditionStepReferences(
        "steps.a.output.x > 0 && (exists(steps.b.response.body) || len({{steps.c.output.rows}}) > 1) && steps.a.status == 'success' && steps['d e'].status == 'x'",
      ),
    ).toEqual(['a', 'b', 'c', 'd e']);
  });

  it('accepts an AST and ignores other roots', () => {
    expect(conditionStepReferences(parseCondition("webhook.payload.a == 1 && ${X} == 'y'"))).toEqual([]);
  });

  it('throws ConditionSyntaxError on a malformed string', () => {
    expect(() => conditionStepReferences('steps.a.output ==')).toThrow(ConditionSyntaxError);
  });
});

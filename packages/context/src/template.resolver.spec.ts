import { sampleContext, sampleScope } from '../test/scope.fixture';
import { TemplateError } from './errors';
import { createTemplateScope } from './template-scope';
import {
  findStepReferences,
  findTemplateErrors,
  parseTemplateString,
  resolveTemplates,
  resolveTemplateString,
} from './template.resolver';

const scope = sampleScope();
const resolve = (text: string): unknown => resolveTemplateString(text, scope);

function errorOf(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TemplateError) return err;
    throw new Error(`expected a TemplateError, got ${String(err)}`);
  }
  throw new Error('expected a TemplateError, nothing was thrown');
}

describe('resolveTemplateString: whole-string templates keep the JSON type', () => {
  test.each<[string, unknown]>([
    ['{{steps.fetch.output.body}}', (sampleContext().steps.fetch?.output as { body: unknown }).body],
    ['{{steps.fetch.output.body.items}}', [{ id: 'a1', price: 10.5 }, { id: 'b2', price: 0 }]],
    ['{{steps.fetch.output.status}}', 200],
    ['{{steps.fetch.output.body.items[0].price}}', 10.5],
    ['{{steps.fetch.output.body.ok}}', true],
    ['{{steps.fetch.output.body.nothing}}', null],
    ['{{steps.fetch.output.body.empty}}', ''],
    ['{{webhook.payload.user_id}}', 42],
    ['{{webhook.query_params.multi}}', ['p', 'q']],
  ])('%s', (template, expected) => {
    expect(resolve(template)).toStrictEqual(expected);
  });

  it('returns a copy: changing the result does not change the context', () => {
    const ctx = sampleContext();
    const s = sampleScope(ctx);
    const items = resolveTemplateString('{{steps.fetch.output.body.items}}', s) as Array<{ id: string }>;
    (items[0] as { id: string }).id = 'changed';
    items.push({ id: 'new' });
    expect(resolveTemplateString('{{steps.fetch.output.body.items[0].id}}', s)).toBe('a1');
    expect(resolveTemplateString('{{steps.fetch.output.body.items}}', s)).toHaveLength(2);
  });

  it('allows whitespace inside the braces', () => {
    expect(resolve('{{  steps.fetch.output.status  }}')).toBe(200);
    expect(resolve('{{\tsteps.fetch.output.body.items[ 1 ].id\n}}')).toBe('b2');
  });

  it('a template with spaces around it is text, not a whole-string template', () => {
    expect(resolve(' {{steps.fetch.output.status}}')).toBe(' 200');
  });
});

describe('resolveTemplateString: text rendering', () => {
  test.each<[string, string]>([
    ['id={{steps.fetch.output.body.items[0].id}}', 'id=a1'],
    ['n={{steps.fetch.output.status}}', 'n=200'],
    ['p={{steps.fetch.output.body.items[0].price}}', 'p=10.5'],
    ['ok={{steps.fetch.output.body.ok}}', 'ok=true'],
    ['v={{steps.fetch.output.body.nothing}}', 'v=null'],
    ['e=[{{steps.fetch.output.body.empty}}]', 'e=[]'],
    ['tags={{webhook.payload.user.tags}}', 'tags=["a","b"]'],
    ['u={{webhook.payload.user}}', 'u={"name":"Lan","tags":["a","b"]}'],
    ['{{steps.fetch.output.body.items[0].id}}-{{steps.fetch.output.body.items[1].id}}', 'a1-b2'],
    ['no templates here', 'no templates here'],
    ['', ''],
    ['json {"a":{"b":1}} stays', 'json {"a":{"b":1}} stays'],
    ['$HOME and $ {x} and { {x} } stay', '$HOME and $ {x} and { {x} } stay'],
    ['a lone }} is text', 'a lone }} is text'],
  ])('%s', (template, expected) => {
    expect(resolve(template)).toBe(expected);
  });

  it('renders Dates as ISO-8601 and keeps them whole', () => {
    const ctx = sampleContext();
    ctx.steps.fetch = { ...ctx.steps.fetch!, output: { at: new Date('2024-01-02T03:04:05.000Z') } };
    const s = sampleScope(ctx);
    expect(resolveTemplateString('at {{steps.fetch.output.at}}', s)).toBe('at 2024-01-02T03:04:05.000Z');
    expect(resolveTemplateString('{{steps.fetch.output.at}}', s)).toEqual(new Date('2024-01-02T03:04:05.000Z'));
  });

  it('fails with a TemplateError when a value cannot be rendered (cycle)', () => {
    const ctx = sampleContext();
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    ctx.steps.fetch = { ...ctx.steps.fetch!, output: { loop } };
    const err = errorOf(() => resolveTemplateString('x {{steps.fetch.output.loop}}', sampleScope(ctx)));
    expect(err.message).toMatch(/^\{\{steps\.fetch\.output\.loop\}\}: value cannot be rendered as text/);
  });
});

describe('escapes', () => {
  test.each<[string, string]>([
    ['\\{{steps.fetch.output.status}}', '{{steps.fetch.output.status}}'],
    ['\\${API_KEY}', '${API_KEY}'],
    ['a \\{{ b', 'a {{ b'],
    ['\\{{x}} = {{steps.fetch.output.status}}', '{{x}} = 200'],
    ['C:\\path\\file', 'C:\\path\\file'],
    ['\\\\{{steps.fetch.output.status}}', '\\{{steps.fetch.output.status}}'],
  ])('%s', (template, expected) => {
    expect(resolve(template)).toBe(expected);
  });
});

describe('paths: quoted keys and aliases', () => {
  test.each<[string, unknown]>([
    ["{{steps.fetch.output.body['x.y']}}", 'dot-key'],
    ['{{steps.fetch.output.body["x.y"]}}', 'dot-key'],
    ["{{steps.fetch.output.body['a b']}}", 'space-key'],
    ["{{steps.fetch.output.body['it\\'s']}}", 'quote-key'],
    ['{{steps.fetch.output.body["it\'s"]}}', 'quote-key'],
    ["{{webhook.payload['with space']}}", 'spaced'],
    ["{{steps.fetch.output['body']['nested'].deep['value']}}", 'v'],
    ['{{steps.fetch.response.body.items[1].id}}', 'b2'],
    ['{{steps.fetch.response.status}}', 200],
    ['{{webhook.headers.x-signature}}', 'sig'],
    ['{{webhook.query_params.x}}', '1'],
    ['{{steps.fetch.status}}', 'success'],
    ['{{steps.fetch.started_at}}', '2024-03-01T08:00:00.000Z'],
    ['{{steps.gone.status}}', 'skipped'],
    ['{{steps.broken.error.message}}', 'boom'],
    ['{{files[0].filename}}', 'report.csv'],
    ['{{files[0].row_count}}', 3],
    ['{{steps.check.output.rows[0].name}}', 'Zoë'],
  ])('%s', (template, expected) => {
    expect(resolve(template)).toStrictEqual(expected);
  });

  it('the response alias resolves to the same value as output', () => {
    expect(resolve('{{steps.fetch.response}}')).toStrictEqual(resolve('{{steps.fetch.output}}'));
  });
});

describe('system values', () => {
  test.each<[string, unknown]>([
    ['{{execution_id}}', 'exec-1'],
    ['{{job_id}}', 'job-1'],
    ['{{attempt}}', 2],
    ['{{trigger_source}}', 'manual'],
    ['report_{{execution_date}}.csv', 'report_2024-03-02.csv'],
  ])('%s', (template, expected) => {
    expect(resolve(template)).toStrictEqual(expected);
  });

  it('execution_date crosses midnight in Asia/Ho_Chi_Minh but not in UTC', () => {
    const at = '2024-12-31T17:30:00.000Z';
    const hcm = createTemplateScope({ context: sampleContext(), startedAt: at, timezone: 'Asia/Ho_Chi_Minh' });
    const utc = createTemplateScope({ context: sampleContext(), startedAt: at, timezone: 'UTC' });
    expect(resolveTemplateString('{{execution_date}}', hcm)).toBe('2025-01-01');
    expect(resolveTemplateString('{{execution_date}}', utc)).toBe('2024-12-31');
  });

  it('execution_date defaults to Asia/Ho_Chi_Minh', () => {
    const s = createTemplateScope({ context: sampleContext(), startedAt: new Date('2024-06-30T17:00:00Z') });
    expect(resolveTemplateString('{{execution_date}}', s)).toBe('2024-07-01');
  });
});

describe('variables', () => {
  test.each<[string, unknown]>([
    ['${API_KEY}', 'k-123'],
    ['${ API_KEY }', 'k-123'],
    ['Bearer ${API_KEY}', 'Bearer k-123'],
    ['{{variables.API_KEY}}', 'k-123'],
    ["{{variables['db.password']}}", 'pw'],
    ['${db.password}', 'pw'],
    ['[${EMPTY}]', '[]'],
    ['${REGION}/{{variables.REGION}}', 'ap-southeast-1/ap-southeast-1'],
  ])('%s', (template, expected) => {
    expect(resolve(template)).toBe(expected);
  });

  it('reads the clear-text map of the scope, not the masked values of the context', () => {
    expect(sampleContext().variables.API_KEY).toBe('******');
    expect(resolve('${API_KEY}')).toBe('k-123');
  });
});

describe('resolution errors (exact messages)', () => {
  test.each<[string, string, string | undefined]>([
    [
      '{{steps.fetch.output.body.items[3]}}',
      '{{steps.fetch.output.body.items[3]}}: steps.fetch.output.body.items[3]: index 3 out of range (length 2)',
      'steps.fetch.output.body.items[3]',
    ],
    [
      '{{steps.fetch.output.body.foo}}',
      '{{steps.fetch.output.body.foo}}: steps.fetch.output.body.foo: key "foo" not found',
      'steps.fetch.output.body.foo',
    ],
    [
      '{{steps.fetch.output.body.foo.bar}}',
      '{{steps.fetch.output.body.foo.bar}}: steps.fetch.output.body.foo: key "foo" not found',
      'steps.fetch.output.body.foo',
    ],
    [
      '{{steps.gone.output.x}}',
      '{{steps.gone.output.x}}: steps.gone.output: step "gone" has no output (status skipped)',
      'steps.gone.output',
    ],
    [
      '{{steps.broken.response.body}}',
      '{{steps.broken.response.body}}: steps.broken.response: step "broken" has no output (status failed)',
      'steps.broken.response',
    ],
    ['{{steps.x.output}}', '{{steps.x.output}}: steps.x: step "x" not found in the context', 'steps.x'],
    [
      '{{steps.fetch.output.body.items.first}}',
      '{{steps.fetch.output.body.items.first}}: steps.fetch.output.body.items.first: cannot read key "first" of an array',
      'steps.fetch.output.body.items.first',
    ],
    [
      '{{steps.fetch.output.body.items.0}}',
      '{{steps.fetch.output.body.items.0}}: steps.fetch.output.body.items.0: cannot read key "0" of an array (use [0])',
      'steps.fetch.output.body.items.0',
    ],
    [
      '{{steps.fetch.output.body.nothing.x}}',
      '{{steps.fetch.output.body.nothing.x}}: steps.fetch.output.body.nothing.x: cannot read key "x" of null',
      'steps.fetch.output.body.nothing.x',
    ],
    [
      '{{steps.fetch.output.status.code}}',
      '{{steps.fetch.output.status.code}}: steps.fetch.output.status.code: cannot read key "code" of a number',
      'steps.fetch.output.status.code',
    ],
    [
      '{{steps.fetch.output.body[0]}}',
      '{{steps.fetch.output.body[0]}}: steps.fetch.output.body[0]: cannot index an object with [0]',
      'steps.fetch.output.body[0]',
    ],
    [
      '{{variables.NOPE}}',
      '{{variables.NOPE}}: variables.NOPE: variable NOPE is not defined',
      'variables.NOPE',
    ],
    ['${NOPE}', '${NOPE}: variable NOPE is not defined', 'NOPE'],
    [
      '{{variables.API_KEY.x}}',
      '{{variables.API_KEY.x}}: variables.API_KEY.x: cannot read key "x" of a string',
      'variables.API_KEY.x',
    ],
    [
      '{{steps.fetch.output.constructor}}',
      '{{steps.fetch.output.constructor}}: steps.fetch.output.constructor: key "constructor" not found',
      'steps.fetch.output.constructor',
    ],
    [
      '{{files[1].path}}',
      '{{files[1].path}}: files[1]: index 1 out of range (length 1)',
      'files[1]',
    ],
  ])('%s', (template, message, missing) => {
    const err = errorOf(() => resolve(`${template}`));
    expect(err.message).toBe(message);
    expect(err.missing).toBe(missing);
    expect(err.path).toBe(missing);
    expect(err.template).toBe(template);
    expect(err.syntax).toBe(false);
  });

  it('names the template inside a longer string, with its position', () => {
    const err = errorOf(() => resolve('GET /users/{{webhook.payload.nope}}?x=1'));
    expect(err.message).toBe('{{webhook.payload.nope}}: webhook.payload.nope: key "nope" not found');
    expect(err.position).toBe(11);
  });

  it('fails on webhook paths when there is no webhook data', () => {
    const ctx = sampleContext();
    delete ctx.webhook;
    const err = errorOf(() => resolveTemplateString('{{webhook.payload.user_id}}', sampleScope(ctx)));
    expect(err.message).toBe(
      '{{webhook.payload.user_id}}: webhook: no webhook data (the execution was not triggered by a webhook)',
    );
  });

  it('fails on system values the scope does not have', () => {
    const s = createTemplateScope({ context: sampleContext() });
    expect(errorOf(() => resolveTemplateString('{{execution_date}}', s)).message).toBe(
      '{{execution_date}}: execution_date: execution_date is not available',
    );
    expect(errorOf(() => resolveTemplateString('{{attempt}}', s)).message).toBe('{{attempt}}: attempt: attempt is not available');
  });

  it('withStepId() prefixes the message with the step', () => {
    const err = errorOf(() => resolve('${NOPE}')).withStepId('fetch');
    expect(err).toBeInstanceOf(TemplateError);
    expect(err.stepId).toBe('fetch');
    expect(err.message).toBe('step "fetch": ${NOPE}: variable NOPE is not defined');
    expect(err.retryable).toBe(false);
  });
});

describe('syntax errors (exact messages)', () => {
  test.each<[string, string]>([
    ['{{steps.fetch', '{{steps.fetch: unclosed "{{" (missing "}}") at position 0'],
    ['abc {{', '{{: unclosed "{{" (missing "}}") at position 4'],
    ['{{}}', '{{}}: empty path at position 0'],
    ['{{   }}', '{{   }}: empty path at position 0'],
    ['{{steps.fetch.output.items[abc]}}', '{{steps.fetch.output.items[abc]}}: invalid index "abc" (expected a non-negative integer or a quoted key) at position 27'],
    ['{{steps.fetch.output.items[-1]}}', '{{steps.fetch.output.items[-1]}}: negative index -1 is not allowed (indexes start at 0) at position 27'],
    ['{{steps.fetch.output.items[]}}', '{{steps.fetch.output.items[]}}: empty index "[]" at position 26'],
    ['{{steps.fetch.output.items[0}}', '{{steps.fetch.output.items[0}}: unclosed "[" (missing "]") at position 26'],
    ['{{steps.fetch.output.items[1.5]}}', '{{steps.fetch.output.items[1.5]}}: invalid index "1.5" (expected a non-negative integer or a quoted key) at position 27'],
    ["{{steps.fetch.output['x.y}}", `{{steps.fetch.output['x.y}}: unterminated string (missing closing ') at position 21`],
    ["{{steps.fetch.output['x'}}", `{{steps.fetch.output['x'}}: expected "]" but found "}" at position 24`],
    ['{{steps.fetch.}}', '{{steps.fetch.}}: expected a key after "." but found "}" at position 14'],
    ['{{steps..x}}', '{{steps..x}}: expected a key after "." but found "." at position 8'],
    ['{{foo.bar}}', '{{foo.bar}}: unknown root "foo" (expected one of steps, webhook, variables, files, execution_id, job_id, execution_date, attempt, trigger_source) at position 2'],
    ['{{steps.fetch | upper}}', '{{steps.fetch | upper}}: unexpected character "|" in path (expected "}}") at position 14'],
    ['{{ .x }}', '{{ .x }}: expected a path but found "." at position 3'],
    ['{{execution_id.x}}', '{{execution_id.x}}: execution_id is a plain value and has no fields at position 14'],
    ['{{variables}}', '{{variables}}: variables needs a name (variables.NAME) at position 11'],
    ['{{steps[0]}}', '{{steps[0]}}: expected a step id after "steps" (steps.<id>) at position 7'],
    ["{{steps.a['\\q']}}", "{{steps.a['\\q']}}: invalid escape \"\\q\" at position 11"],
    ['${API_KEY', '${API_KEY: unclosed "${" (missing "}") at position 0'],
    ['${}', '${}: empty variable name at position 0'],
    ['${bad name}', '${bad name}: invalid variable name "bad name" (expected letters, digits, "_", "." or "-") at position 0'],
  ])('%s', (template, message) => {
    const err = errorOf(() => resolve(template));
    expect(err.message).toBe(message);
    expect(err.syntax).toBe(true);
    expect(typeof err.position).toBe('number');
  });

  it('cuts very long fragments in messages', () => {
    const err = errorOf(() => resolve(`{{steps.${'a'.repeat(500)}`));
    expect(err.template.length).toBe(201);
    expect(err.template.endsWith('…')).toBe(true);
  });
});

describe('resolveTemplates', () => {
  it('resolves every string of a config, keeps keys and other values, does not modify the input', () => {
    const config = {
      method: 'POST',
      url: 'https://api/{{webhook.payload.user_id}}',
      headers: { Authorization: 'Bearer ${API_KEY}', '{{not.a.template.key}}': 'x' },
      body: '{{steps.fetch.output.body.items}}',
      timeout_seconds: 30,
      retry: true,
      parameters: ['{{steps.check.output.rows[0].count}}', null, 5],
    };
    const copy = JSON.parse(JSON.stringify(config)) as unknown;
    expect(resolveTemplates(config, scope)).toStrictEqual({
      method: 'POST',
      url: 'https://api/42',
      headers: { Authorization: 'Bearer k-123', '{{not.a.template.key}}': 'x' },
      body: [{ id: 'a1', price: 10.5 }, { id: 'b2', price: 0 }],
      timeout_seconds: 30,
      retry: true,
      parameters: [3, null, 5],
    });
    expect(config).toStrictEqual(copy);
  });

  it('resolves a bare string and passes primitives through', () => {
    expect(resolveTemplates('{{attempt}}', scope)).toBe(2);
    expect(resolveTemplates(7, scope)).toBe(7);
    expect(resolveTemplates(null, scope)).toBeNull();
    expect(resolveTemplates(undefined, scope)).toBeUndefined();
  });

  it('keeps a "__proto__" key as a plain own key', () => {
    const input = JSON.parse('{"__proto__": {"polluted": "{{attempt}}"}}') as unknown;
    const out = resolveTemplates(input, scope) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports where the failing string is', () => {
    const err = errorOf(() => resolveTemplates({ headers: { 'X-Key': '${NOPE}' }, q: ['ok', '{{steps.x.output}}'] }, scope));
    expect(err.location).toBe('headers["X-Key"]');
    const err2 = errorOf(() => resolveTemplates({ q: ['ok', '{{steps.x.output}}'] }, scope));
    expect(err2.location).toBe('q[1]');
    expect(err2.message).toBe('{{steps.x.output}}: steps.x: step "x" not found in the context');
  });
});

describe('findStepReferences', () => {
  it('collects step ids from every string, incl. the response alias, unique, in order', () => {
    const value = {
      url: 'https://x/{{steps.login.output.body.token}}/{{ steps.fetch.response.body.id }}',
      body: { rows: '{{steps.read.output.data}}', again: '{{steps.login.output.status}}' },
      list: ["{{steps['my step'].output}}", '${API_KEY}', '{{webhook.payload.a}}', 5, null],
      '{{steps.keys_are_ignored.output}}': 'x',
    };
    expect(findStepReferences(value)).toEqual(['login', 'fetch', 'read', 'my step']);
  });

  it('ignores escaped and malformed templates, and bare "steps"', () => {
    expect(findStepReferences('\\{{steps.a.output}} {{steps.b.output {{steps}} {{steps.c.output}}')).toEqual(['c']);
    expect(findStepReferences(['\\{{steps.a.output}}', '{{steps}}', '{{steps.c.output}}'])).toEqual(['c']);
  });

  it('returns [] for values without strings', () => {
    expect(findStepReferences({ a: 1, b: [true, null] })).toEqual([]);
  });
});

describe('findTemplateErrors', () => {
  it('reports every syntax error with the location of its string', () => {
    expect(
      findTemplateErrors({
        url: 'https://x/{{steps.a.output.items[-1]}}',
        ok: '{{steps.a.output}} ${API_KEY} {{steps.missing.output}}',
        headers: { 'X-A': '{{}} and {{foo}}' },
        list: ['fine', '${'],
      }),
    ).toEqual([
      {
        path: 'url',
        message:
          '{{steps.a.output.items[-1]}}: negative index -1 is not allowed (indexes start at 0) at position 33',
      },
      { path: 'headers["X-A"]', message: '{{}}: empty path at position 0' },
      {
        path: 'headers["X-A"]',
        message:
          '{{foo}}: unknown root "foo" (expected one of steps, webhook, variables, files, execution_id, job_id, execution_date, attempt, trigger_source) at position 11',
      },
      { path: 'list[1]', message: '${: unclosed "${" (missing "}") at position 0' },
    ]);
  });

  it('returns [] when everything parses (missing steps and variables are runtime errors)', () => {
    expect(findTemplateErrors({ a: '{{steps.nope.output.x}} ${NOPE} \\{{ literal' })).toEqual([]);
  });
});

describe('parseTemplateString', () => {
  it('splits text and templates', () => {
    expect(parseTemplateString('a ${X} b {{job_id}}')).toEqual([
      { kind: 'text', text: 'a ' },
      { kind: 'variable', name: 'X', source: '${X}', position: 2 },
      { kind: 'text', text: ' b ' },
      { kind: 'path', path: { root: 'job_id', segments: [] }, source: '{{job_id}}', position: 9 },
    ]);
  });
});

describe('findTemplateErrors with a base path', () => {
  it('prefixes locations', () => {
    expect(findTemplateErrors({ url: '{{}}', h: { 'X-A': '${' } }, 'steps[0].config')).toEqual([
      { path: 'steps[0].config.url', message: '{{}}: empty path at position 0' },
      { path: 'steps[0].config.h["X-A"]', message: '${: unclosed "${" (missing "}") at position 0' },
    ]);
    expect(findTemplateErrors(['{{}}'], 'body')).toEqual([{ path: 'body[0]', message: '{{}}: empty path at position 0' }]);
  });
});

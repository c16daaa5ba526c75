import fc from 'fast-check';
import { sampleContext, sampleScope } from '../test/scope.fixture';
import { evaluateCondition, evaluateRowCondition } from './condition.evaluator';
import { parseCondition } from './condition.parser';
import { ConditionError, ConditionSyntaxError, TemplateError } from './errors';
import { recordStepSuccess } from './job-context.model';
import {
  escapeTemplate,
  findStepReferences,
  findTemplateErrors,
  parseTemplateString,
  resolveTemplates,
  resolveTemplateString,
} from './template.resolver';

const scope = sampleScope();

/** Runs fn; returns the error it threw (or undefined). */
function caught(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err;
  }
}

const TEMPLATE_FRAGMENTS = [
  '{{', '}}', '${', '}', '{', '[', ']', "'", '"', '.', '\\', ' ', '$', '-', '0', '3', '-1', 'x.y',
  'steps', 'fetch', 'gone', 'output', 'response', 'body', 'items', 'status', 'webhook', 'payload',
  'query_params', 'headers', 'variables', 'API_KEY', 'NOPE', 'files', 'execution_id', 'job_id',
  'execution_date', 'attempt', 'trigger_source', 'constructor', '__proto__', '\\u00', 'é', '😀',
];

const templateish = fc
  .array(fc.oneof(fc.constantFrom(...TEMPLATE_FRAGMENTS), fc.string({ maxLength: 3 })), { maxLength: 25 })
  .map((parts) => parts.join(''));

/** Mostly well-formed templates, so that resolution (not only parsing) is exercised. */
const pathTemplate = fc
  .tuple(
    fc.constantFrom('steps.fetch', 'steps.gone', 'steps.broken', 'steps.nope', 'webhook', 'variables', 'files', 'job_id', 'attempt'),
    fc.array(
      fc.constantFrom('.output', '.response', '.body', '.items', '.status', '.nothing', '.payload', '.user', '.tags',
        '.API_KEY', '.NOPE', '.error', '.message', '[0]', '[1]', '[7]', "['x.y']", '["a b"]', '.constructor', '.__proto__'),
      { maxLength: 6 },
    ),
    fc.constantFrom('', ' '),
    fc.string({ maxLength: 3 }),
  )
  .map(([root, segs, ws, tail]) => `{{${ws}${root}${segs.join('')}${ws}}}${tail}`);

const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  templateish,
  pathTemplate,
  fc.array(pathTemplate, { maxLength: 3 }).map((parts) => parts.join('-')),
);

describe('property: whole-string templates keep the value', () => {
  it('a random JSON value placed in the context resolves deep-equal through {{steps.s.output.v}}', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const ctx = recordStepSuccess(sampleContext(), 's', { v: value });
        const resolved = resolveTemplateString('{{steps.s.output.v}}', sampleScope(ctx));
        expect(resolved).toStrictEqual(value);
        expect(resolveTemplateString('{{ steps.s.response.v }}', sampleScope(ctx))).toStrictEqual(value);
      }),
      { numRuns: 300 },
    );
  });

  it('any key can be read with a quoted segment', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.jsonValue({ maxDepth: 2 }), (key, value) => {
        const output: Record<string, unknown> = {};
        Object.defineProperty(output, key, { value, enumerable: true, writable: true, configurable: true });
        const ctx = recordStepSuccess(sampleContext(), 's', output);
        const quoted = `'${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
        expect(resolveTemplateString(`{{steps.s.output[${quoted}]}}`, sampleScope(ctx))).toStrictEqual(value);
      }),
      { numRuns: 300 },
    );
  });

  it('text rendering of a JSON object or array is its JSON text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.array(fc.jsonValue()), fc.dictionary(fc.string(), fc.jsonValue())), (value) => {
        const ctx = recordStepSuccess(sampleContext(), 's', { v: value });
        const text = resolveTemplateString('<{{steps.s.output.v}}>', sampleScope(ctx)) as string;
        expect(JSON.parse(text.slice(1, -1))).toStrictEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 200 },
    );
  });

  it('escapeTemplate makes any string render literally', () => {
    fc.assert(
      fc.property(anyString, (text) => {
        expect(resolveTemplateString(escapeTemplate(text), scope)).toBe(text);
        expect(findTemplateErrors(escapeTemplate(text))).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });
});

describe('property: no input string makes the resolver throw anything but TemplateError', () => {
  it('resolveTemplates on arbitrary strings', () => {
    fc.assert(
      fc.property(anyString, (text) => {
        const err = caught(() => resolveTemplates(text, scope));
        if (err !== undefined && !(err instanceof TemplateError)) throw err;
        if (err instanceof TemplateError) expect(err.message).toContain(err.reason);
      }),
      { numRuns: 4000 },
    );
  });

  it('resolveTemplates on JSON values full of template-ish strings', () => {
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        anyString,
        fc.jsonValue({ maxDepth: 1 }),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(anyString, tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        const err = caught(() => resolveTemplates(v, scope));
        if (err !== undefined && !(err instanceof TemplateError)) throw err;
      }),
      { numRuns: 1000 },
    );
  });

  it('findStepReferences and findTemplateErrors never throw, and agree with the parser', () => {
    fc.assert(
      fc.property(anyString, (text) => {
        const refs = findStepReferences(text);
        expect(Array.isArray(refs)).toBe(true);
        const problems = findTemplateErrors({ a: [text] });
        const parseError = caught(() => parseTemplateString(text));
        if (parseError !== undefined && !(parseError instanceof TemplateError)) throw parseError;
        expect(problems.length === 0).toBe(parseError === undefined);
        if (parseError instanceof TemplateError) {
          expect(parseError.syntax).toBe(true);
          expect(problems[0]).toEqual({ path: 'a[0]', message: parseError.message });
        }
      }),
      { numRuns: 2000 },
    );
  });
});

const CONDITION_FRAGMENTS = [
  '(', ')', '&&', '||', '!', '==', '!=', '<', '<=', '>', '>=', '=', '&', '|', ' ', '1', '-2.5', '1e3',
  "'a'", '"b"', "'", '"', '\\', 'true', 'false', 'null', 'exists(', 'len(', 'size(', ',', '.', '[0]', '[-1]',
  "['x.y']", 'steps.fetch.output.body.items', 'steps.check.response.rows[0].count', 'steps.gone.output',
  'webhook.payload.user_id', 'variables.API_KEY', '${API_KEY}', '{{', '}}', 'execution_date', 'attempt',
  'and', 'foo', '😀',
];

const conditionish = fc
  .array(fc.oneof(fc.constantFrom(...CONDITION_FRAGMENTS), fc.string({ maxLength: 2 })), { maxLength: 20 })
  .map((parts) => parts.join(''));

const anyCondition = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), conditionish);

describe('property: conditions throw only their own error classes', () => {
  it('parseCondition throws only ConditionSyntaxError, with a position inside the source', () => {
    fc.assert(
      fc.property(anyCondition, (src) => {
        const err = caught(() => parseCondition(src));
        if (err === undefined) return;
        if (!(err instanceof ConditionSyntaxError)) throw err;
        expect(err.position).toBeGreaterThanOrEqual(0);
        expect(err.position).toBeLessThanOrEqual(src.length);
      }),
      { numRuns: 3000 },
    );
  });

  it('evaluateCondition throws only ConditionSyntaxError or ConditionError, else returns a boolean', () => {
    fc.assert(
      fc.property(anyCondition, (src) => {
        let result: unknown;
        const err = caught(() => {
          result = evaluateCondition(src, scope);
        });
        if (err === undefined) expect(typeof result).toBe('boolean');
        else if (!(err instanceof ConditionSyntaxError) && !(err instanceof ConditionError)) throw err;
      }),
      { numRuns: 3000 },
    );
  });

  it('evaluateRowCondition throws only ConditionSyntaxError or ConditionError', () => {
    fc.assert(
      fc.property(anyCondition, fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })), (src, row) => {
        const err = caught(() => evaluateRowCondition(src, row));
        if (err !== undefined && !(err instanceof ConditionSyntaxError) && !(err instanceof ConditionError)) throw err;
      }),
      { numRuns: 1000 },
    );
  });

  it('comparisons of random numbers and strings agree with JavaScript', () => {
    const literal = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => Number.isFinite(n)),
      fc.string({ unit: 'binary' }),
    );
    fc.assert(
      fc.property(literal, literal, fc.constantFrom('==', '!=', '<', '<=', '>', '>='), (a, b, op) => {
        const ctx = recordStepSuccess(sampleContext(), 's', { a, b });
        const run = (): boolean => evaluateCondition(`steps.s.output.a ${op} steps.s.output.b`, sampleScope(ctx));
        if ((op === '==' || op === '!=') || typeof a === typeof b) {
          const expected =
            op === '==' ? Object.is(a, b) || a === b
            : op === '!=' ? !(Object.is(a, b) || a === b)
            : op === '<' ? a < b
            : op === '<=' ? a <= b
            : op === '>' ? a > b
            : a >= b;
          expect(run()).toBe(expected);
        } else {
          expect(run).toThrow(ConditionError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

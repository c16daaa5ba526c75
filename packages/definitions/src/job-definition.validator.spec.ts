import { findTemplateErrors, parseCondition } from '@vecron/context';
import { FakeStepCatalog } from '../test/fake-step-catalog';
import { assertValidJobDefinition, validateJobDefinition } from './job-definition.validator';
import type { ValidationIssue } from './validation-issue';
import { JobDefinitionValidationError } from './validation-issue';

// A JSON value built by the tests (plain data, possibly invalid).
type Json = Record<string, unknown>;

// Step types come from a catalog (the api passes the executors' registry); here a fake one with
// the types `free`, `ping` and `sql` (test/fake-step-catalog.ts).
const catalog = new FakeStepCatalog();

const pingStep = (over: Json = {}, config: Json = {}): Json => ({
  id: 'fetch',
  name: 'Fetch',
  type: 'ping',
  config: { method: 'GET', url: 'https://api.example.com/items', ...config },
  ...over,
});

const definition = (over: Json = {}): Json => ({
  name: 'Daily bank reconciliation',
  schedule: { type: 'cron', expression: '0 0 1 * * ?' },
  steps: [pingStep()],
  ...over,
});

const withStep = (step: Json): Json => definition({ steps: [step] });

function ok(raw: unknown): Json {
  const result = validateJobDefinition(raw, catalog);
  if (!result.ok) throw new Error(`expected valid, got ${JSON.stringify(result.errors)}`);
  return result.definition as unknown as Json;
}

function errors(raw: unknown): ValidationIssue[] {
  const result = validateJobDefinition(raw, catalog);
  if (result.ok) throw new Error('expected invalid');
  return result.errors;
}

describe('validateJobDefinition: valid definitions', () => {
  it('accepts the ARCHITECTURE.md example and applies every job-level default', () => {
    const raw = {
      name: 'Daily bank reconciliation',
      description: 'optional',
      schedule: { type: 'cron', expression: '0 0 1 * * *', timezone: 'Asia/Ho_Chi_Minh', end_date: null },
      triggers: {
        scheduled: true,
        manual: true,
        webhook: { enabled: true, secret_key: 'a-very-secret-key-123', rate_limit: { max_requests: 100, window_seconds: 60 } },
      },
      steps: [{ id: 'fetch', name: 'Fetch', type: 'ping', condition: null, config: { method: 'GET', url: 'https://bank.example.com/statements' } }],
      timeout_seconds: 300,
      max_retries: 10,
      allow_concurrent: false,
      enabled: true,
    };
    const snapshot = JSON.stringify(raw);
    expect(ok(raw)).toEqual({
      name: 'Daily bank reconciliation',
      description: 'optional',
      schedule: {
        type: 'cron',
        expression: '0 0 1 * * *',
        timezone: 'Asia/Ho_Chi_Minh',
        end_date: null,
        misfire_policy: 'fire_once',
        misfire_max_fires: 100,
      },
      triggers: {
        scheduled: true,
        manual: true,
        webhook: { enabled: true, secret_key: 'a-very-secret-key-123', rate_limit: { max_requests: 100, window_seconds: 60 } },
      },
      // The step config is stored as submitted: its own defaults (timeout_seconds) apply at run.
      steps: [{ id: 'fetch', name: 'Fetch', type: 'ping', condition: null, config: { method: 'GET', url: 'https://bank.example.com/statements' } }],
      timeout_seconds: 300,
      max_retries: 10,
      allow_concurrent: false,
      enabled: true,
    });
    expect(JSON.stringify(raw)).toBe(snapshot); // input untouched
  });

  it('returns plain JSON (no class instances) with defaults for a minimal definition, keys in submitted order', () => {
    const def = ok({ name: 'x', steps: [pingStep()] });
    expect(def).toEqual({
      name: 'x',
      steps: [{ id: 'fetch', name: 'Fetch', type: 'ping', config: { method: 'GET', url: 'https://api.example.com/items' }, condition: null }],
      schedule: null,
      triggers: { scheduled: true, manual: true },
      timeout_seconds: 300,
      max_retries: 10,
      allow_concurrent: false,
      enabled: true,
    });
    expect(Object.keys(def).slice(0, 2)).toEqual(['name', 'steps']);
    expect(Object.getPrototypeOf(def)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(def['steps'] as object[])).toBe(Array.prototype);
    expect(Object.getPrototypeOf((def['steps'] as Json[])[0])).toBe(Object.prototype);
    expect(Object.getPrototypeOf(def['triggers'])).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(def))).toEqual(def);
  });

  it('replaces null by the default where there is one', () => {
    const def = ok(definition({ timeout_seconds: null, triggers: null, schedule: { type: 'cron', expression: '0 0 1 * * ?', timezone: null } }));
    expect(def['timeout_seconds']).toBe(300);
    expect(def['triggers']).toEqual({ scheduled: true, manual: true });
    expect((def['schedule'] as Json)['timezone']).toBe('Asia/Ho_Chi_Minh');
  });

  describe('every schedule type', () => {
    it.each<[string, unknown, Json | null]>([
      ['cron (Quartz)', { type: 'cron', expression: '0 15 10 ? * 6L 2030', timezone: 'Europe/Berlin', end_date: '2031-01-01' },
        { type: 'cron', expression: '0 15 10 ? * 6L 2030', timezone: 'Europe/Berlin', end_date: '2031-01-01', misfire_policy: 'fire_once', misfire_max_fires: 100 }],
      ['cron (5 fields)', { type: 'cron', expression: '*/5 9-17 * * MON-FRI' },
        { type: 'cron', expression: '*/5 9-17 * * MON-FRI', timezone: 'Asia/Ho_Chi_Minh', misfire_policy: 'fire_once', misfire_max_fires: 100 }],
      ['fixed_rate', { type: 'fixed_rate', interval_seconds: 300, misfire_policy: 'fire_all', misfire_max_fires: 10 },
        { type: 'fixed_rate', interval_seconds: 300, misfire_policy: 'fire_all', misfire_max_fires: 10, timezone: 'Asia/Ho_Chi_Minh' }],
      ['fixed_delay', { type: 'fixed_delay', delay_seconds: 60, end_date: '2026-12-31T23:59:59+07:00', misfire_policy: 'skip' },
        { type: 'fixed_delay', delay_seconds: 60, end_date: '2026-12-31T23:59:59+07:00', misfire_policy: 'skip', timezone: 'Asia/Ho_Chi_Minh', misfire_max_fires: 100 }],
      ['one_time', { type: 'one_time', execute_at: '2026-01-31T09:00:00+07:00' },
        { type: 'one_time', execute_at: '2026-01-31T09:00:00+07:00', timezone: 'Asia/Ho_Chi_Minh', misfire_policy: 'fire_once', misfire_max_fires: 100 }],
      ['one_time (Z)', { type: 'one_time', execute_at: '2026-01-31T02:00:00.000Z' },
        { type: 'one_time', execute_at: '2026-01-31T02:00:00.000Z', timezone: 'Asia/Ho_Chi_Minh', misfire_policy: 'fire_once', misfire_max_fires: 100 }],
      ['null (manual / webhook only)', null, null],
    ])('%s', (_label, schedule, expected) => {
      expect(ok(definition({ schedule }))['schedule']).toEqual(expected);
    });
  });

  it('accepts a webhook without a secret (the api generates one) and with forward_headers', () => {
    const hook = (ok(definition({ triggers: { webhook: { forward_headers: ['X-Partner-Id'] } } }))['triggers'] as Json)['webhook'];
    expect(hook).toEqual({ enabled: true, forward_headers: ['X-Partner-Id'] });
  });

  it('passes each step config, as submitted, to the catalog of its type', () => {
    const local = new FakeStepCatalog();
    const steps = [pingStep({}, { timeout_seconds: 5 }), { id: 'q', name: 'Q', type: 'sql', config: { query: 'select 1' } }];
    const result = validateJobDefinition(definition({ steps }), local);
    expect(result.ok).toBe(true);
    expect(local.calls).toEqual([
      { type: 'ping', config: { method: 'GET', url: 'https://api.example.com/items', timeout_seconds: 5 } },
      { type: 'sql', config: { query: 'select 1' } },
    ]);
    // The catalog gets a copy: whatever it does to it never reaches the input.
    expect(local.calls[0]?.config).not.toBe(steps[0]?.['config']);
  });

  it('keeps the step retry override', () => {
    const def = ok(withStep(pingStep({ retry: { max_retries: 3, backoff_seconds: 2 } })));
    expect((def['steps'] as Json[])[0]?.['retry']).toEqual({ max_retries: 3, backoff_seconds: 2 });
  });

  it('keeps a retry schedule on the job and on a step', () => {
    const def = ok(definition({ retry: { delays_seconds: [1, 30], jitter: 0 }, steps: [pingStep({ retry: { delays_seconds: [2], jitter: 0.5, max_retries: 4 } })] }));
    expect(def['retry']).toEqual({ delays_seconds: [1, 30], jitter: 0 });
    expect((def['steps'] as Json[])[0]?.['retry']).toEqual({ delays_seconds: [2], jitter: 0.5, max_retries: 4 });
  });

  it('accepts templates in place of URLs and references to earlier steps', () => {
    ok(
      definition({
        steps: [
          pingStep(),
          pingStep({ id: 'detail', condition: 'steps.fetch.output.status == 200 && len(steps.fetch.output.body.items) > 0' }, { url: '{{steps.fetch.output.body.url}}' }),
          pingStep({ id: 'post', name: 'Post' }, { method: 'POST', url: '${API_BASE}/items/{{steps.detail.response.body.id}}', timeout_seconds: '${TIMEOUT}' }),
        ],
      }),
    );
  });

  it('keeps unusual keys of a free-form config as data, without polluting prototypes', () => {
    const raw = JSON.parse('{"name":"x","steps":[{"id":"a","name":"A","type":"free","config":{"body":{"constructor":1,"__proto__":{"polluted":true},"toString":"s"}}}]}') as Json;
    const def = ok(raw);
    const body = ((def['steps'] as Json[])[0]?.['config'] as Json)['body'] as Json;
    expect(Object.keys(body)).toEqual(['constructor', '__proto__', 'toString']);
    expect(JSON.stringify(body)).toBe('{"constructor":1,"__proto__":{"polluted":true},"toString":"s"}');
    expect(({} as Json)['polluted']).toBeUndefined();
  });

  it('assertValidJobDefinition returns the definition', () => {
    expect(assertValidJobDefinition(definition(), catalog)['name']).toBe('Daily bank reconciliation');
  });
});

describe('validateJobDefinition: invalid definitions', () => {
  const schedule = (s: Json): Json => definition({ schedule: s });

  const table: [string, unknown, ValidationIssue[]][] = [
    ['a non-object document', ['x'], [{ path: '', message: 'must be a JSON object' }]],
    ['null document', null, [{ path: '', message: 'must be a JSON object' }]],
    ['missing name', definition({ name: undefined }), [{ path: 'name', message: 'is required' }]],
    ['null name', definition({ name: null }), [{ path: 'name', message: 'is required' }]],
    ['blank name', definition({ name: '   ' }), [{ path: 'name', message: 'must not be empty' }]],
    ['name not a string', definition({ name: 42 }), [{ path: 'name', message: 'must be a string' }]],
    ['name too long', definition({ name: 'n'.repeat(201) }), [{ path: 'name', message: 'must be at most 200 characters long' }]],
    ['unknown top-level property', definition({ foo: 1 }), [{ path: 'foo', message: 'is not allowed' }]],
    ['__proto__ key', JSON.parse('{"name":"x","steps":[{"id":"a","name":"A","type":"ping","config":{"method":"GET","url":"https://x.example"}}],"__proto__":{"x":1}}'),
      [{ path: '__proto__', message: 'is not allowed' }]],
    ['constructor key in a step', withStep(pingStep({ constructor: 'x' })), [{ path: 'steps[0].constructor', message: 'is not allowed' }]],
    ['toString key in a schedule', schedule({ type: 'cron', expression: '0 0 1 * * ?', toString: 'x' }), [{ path: 'schedule.toString', message: 'is not allowed' }]],
    ['negative job timeout', definition({ timeout_seconds: -5 }), [{ path: 'timeout_seconds', message: 'must be at least 1' }]],
    ['fractional job timeout', definition({ timeout_seconds: 1.5 }), [{ path: 'timeout_seconds', message: 'must be an integer' }]],
    ['job timeout as a string', definition({ timeout_seconds: '300' }), [{ path: 'timeout_seconds', message: 'must be an integer' }]],
    ['max_retries too large', definition({ max_retries: 101 }), [{ path: 'max_retries', message: 'must be at most 100' }]],
    ['enabled not boolean', definition({ enabled: 'yes' }), [{ path: 'enabled', message: 'must be a boolean' }]],
    ['missing steps', definition({ steps: undefined }), [{ path: 'steps', message: 'is required' }]],
    ['empty steps', definition({ steps: [] }), [{ path: 'steps', message: 'must contain at least one step' }]],
    ['too many steps', definition({ steps: Array.from({ length: 101 }, (_v, i) => pingStep({ id: `s${i}` })) }), [{ path: 'steps', message: 'must contain at most 100 steps' }]],
    ['steps not an array', definition({ steps: {} }), [{ path: 'steps', message: 'must be an array' }]],
    ['a step that is not an object', definition({ steps: [pingStep(), 'x', [pingStep()]] }),
      [{ path: 'steps[1]', message: 'must be an object' }, { path: 'steps[2]', message: 'must be an object' }]],
    ['duplicate step ids', definition({ steps: [pingStep(), pingStep({ name: 'Again' }), pingStep({ id: 'other' }), pingStep()] }),
      [{ path: 'steps[1].id', message: 'duplicate step id "fetch"' }, { path: 'steps[3].id', message: 'duplicate step id "fetch"' }]],
    ['bad step id', withStep(pingStep({ id: '1st' })), [{ path: 'steps[0].id', message: 'must match /^[A-Za-z_][A-Za-z0-9_-]*$/' }]],
    ['unknown step type (config not checked), naming the known types', withStep({ id: 'x', name: 'X', type: 'ftp', config: { anything: 1 } }),
      [{ path: 'steps[0].type', message: 'must be one of free, ping, sql (the registered step types)' }]],
    ['missing step type', withStep({ id: 'x', name: 'X', config: { query: 'select 1' } }), [{ path: 'steps[0].type', message: 'is required' }]],
    ['missing step config', withStep({ id: 'x', name: 'X', type: 'ping' }), [{ path: 'steps[0].config', message: 'is required' }]],
    ['step config not an object', withStep({ id: 'x', name: 'X', type: 'ping', config: ['GET'] }), [{ path: 'steps[0].config', message: 'must be an object' }]],
    ['empty condition', withStep(pingStep({ condition: '' })), [{ path: 'steps[0].condition', message: 'must not be empty' }]],
    ['retry out of range', withStep(pingStep({ retry: { max_retries: -1, backoff_seconds: 5 } })), [{ path: 'steps[0].retry.max_retries', message: 'must be at least 0' }]],
    ['retry backoff too long', withStep(pingStep({ retry: { backoff_seconds: 86_401 } })), [{ path: 'steps[0].retry.backoff_seconds', message: 'must be at most 86400' }]],
    ['retry with an unknown field', withStep(pingStep({ retry: { attempts: 3 } })), [{ path: 'steps[0].retry.attempts', message: 'is not allowed' }]],
    ['retry not an object', withStep(pingStep({ retry: 3 })), [{ path: 'steps[0].retry', message: 'must be an object' }]],
    ['retry delays not a list', withStep(pingStep({ retry: { delays_seconds: 5 } })), [{ path: 'steps[0].retry.delays_seconds', message: 'must be an array' }]],
    ['retry delays empty', definition({ retry: { delays_seconds: [] } }), [{ path: 'retry.delays_seconds', message: 'must contain at least one delay' }]],
    ['retry delay negative', definition({ retry: { delays_seconds: [5, -1] } }), [{ path: 'retry.delays_seconds', message: 'each delay must be at least 0' }]],
    ['retry delay not whole seconds', withStep(pingStep({ retry: { delays_seconds: [1.5] } })), [{ path: 'steps[0].retry.delays_seconds', message: 'each delay must be an integer (seconds)' }]],
    ['retry jitter above 1', definition({ retry: { jitter: 1.5 } }), [{ path: 'retry.jitter', message: 'must be at most 1' }]],
    ['job retry with max_retries inside (it is top-level)', definition({ retry: { max_retries: 3 } }), [{ path: 'retry.max_retries', message: 'is not allowed' }]],
    // step configs: the catalog's problems, under the full path
    ['a config problem from the step type', withStep(pingStep({}, { method: 'FETCH' })), [{ path: 'steps[0].config.method', message: 'must be one of GET, POST' }]],
    ['a nested config problem', withStep(pingStep({}, { auth: { type: 'token', token: '' } })), [{ path: 'steps[0].config.auth.token', message: 'should not be empty' }]],
    ['an unknown config property', withStep(pingStep({}, { verb: 'GET' })), [{ path: 'steps[0].config.verb', message: 'is not allowed' }]],
    ['non-JSON data in a config', withStep({ id: 'a', name: 'A', type: 'free', config: { body: { when: new Date(0), n: 1 } } }),
      [{ path: 'steps[0].config.body.when', message: 'must be JSON data (string, number, boolean, null, array or object)' }]],
    ['a non-finite number in a config', withStep({ id: 'a', name: 'A', type: 'free', config: { body: [1, Number.NaN] } }),
      [{ path: 'steps[0].config.body[1]', message: 'must be a finite number' }]],
    // schedules
    ['bad cron field', schedule({ type: 'cron', expression: '0 0 25 * * ?' }), [{ path: 'schedule.expression', message: 'hour field: value 25 out of range 0-23' }]],
    ['bad cron day-of-week', schedule({ type: 'cron', expression: '0 0 1 ? * 9' }), [{ path: 'schedule.expression', message: 'day-of-week field: value 9 out of range 1-7' }]],
    ['cron with both day fields', schedule({ type: 'cron', expression: '0 0 1 15 * MON' }),
      [{ path: 'schedule.expression', message: 'day-of-month and day-of-week cannot both be restricted in a Quartz expression; set one of them to "?"' }]],
    ['cron that never fires', schedule({ type: 'cron', expression: '0 0 0 30 2 ?' }), [{ path: 'schedule.expression', message: 'never fires: no date matches the expression' }]],
    ['cron without expression', schedule({ type: 'cron' }), [{ path: 'schedule.expression', message: 'is required' }]],
    ['cron expression not a string', schedule({ type: 'cron', expression: 5 }), [{ path: 'schedule.expression', message: 'must be a string' }]],
    ['unknown time zone', schedule({ type: 'cron', expression: '0 0 1 * * ?', timezone: 'Mars/Base' }), [{ path: 'schedule.timezone', message: 'unknown time zone "Mars/Base"' }]],
    ['offset instead of a zone', schedule({ type: 'fixed_rate', interval_seconds: 60, timezone: '+07:00' }), [{ path: 'schedule.timezone', message: 'unknown time zone "+07:00"' }]],
    ['unknown schedule type (fields not checked)', schedule({ type: 'hourly', every: 1 }), [{ path: 'schedule.type', message: 'must be one of cron, fixed_rate, fixed_delay, one_time' }]],
    ['schedule without type', schedule({ expression: '0 0 1 * * ?' }), [{ path: 'schedule.type', message: 'is required' }]],
    ['zero interval', schedule({ type: 'fixed_rate', interval_seconds: 0 }), [{ path: 'schedule.interval_seconds', message: 'must be at least 1' }]],
    ['interval as a string', schedule({ type: 'fixed_rate', interval_seconds: '60' }), [{ path: 'schedule.interval_seconds', message: 'must be an integer' }]],
    ['fixed_delay without delay', schedule({ type: 'fixed_delay' }), [{ path: 'schedule.delay_seconds', message: 'is required' }]],
    ['interval on a cron', schedule({ type: 'cron', expression: '0 0 1 * * ?', interval_seconds: 5 }), [{ path: 'schedule.interval_seconds', message: 'is not allowed' }]],
    ['execute_at without offset', schedule({ type: 'one_time', execute_at: '2026-01-31T09:00:00' }),
      [{ path: 'schedule.execute_at', message: 'must be an ISO-8601 date-time with an offset or Z (e.g. 2026-01-31T09:00:00+07:00)' }]],
    ['execute_at not a date', schedule({ type: 'one_time', execute_at: '2026-02-30T09:00:00Z' }),
      [{ path: 'schedule.execute_at', message: 'must be an ISO-8601 date-time with an offset or Z (e.g. 2026-01-31T09:00:00+07:00)' }]],
    ['end_date on a one-time schedule', schedule({ type: 'one_time', execute_at: '2026-01-31T09:00:00Z', end_date: '2026-02-01' }),
      [{ path: 'schedule.end_date', message: 'is not allowed' }]],
    ['bad end_date', schedule({ type: 'cron', expression: '0 0 1 * * ?', end_date: '31/12/2026' }),
      [{ path: 'schedule.end_date', message: 'must be an ISO-8601 date or date-time (e.g. 2026-12-31 or 2026-12-31T23:59:59+07:00)' }]],
    ['unknown misfire policy', schedule({ type: 'fixed_rate', interval_seconds: 60, misfire_policy: 'later' }), [{ path: 'schedule.misfire_policy', message: 'must be one of fire_once, skip, fire_all' }]],
    ['misfire cap too high', schedule({ type: 'fixed_rate', interval_seconds: 60, misfire_max_fires: 5000 }), [{ path: 'schedule.misfire_max_fires', message: 'must be at most 1000' }]],
    ['schedule not an object', schedule('0 0 1 * * ?' as unknown as Json), [{ path: 'schedule', message: 'must be an object' }]],
    ['schedule an array', schedule([{ type: 'cron', expression: '0 0 1 * * ?' }] as unknown as Json), [{ path: 'schedule', message: 'must be an object' }]],
    // triggers
    ['short webhook secret', definition({ triggers: { webhook: { enabled: true, secret_key: 'short' } } }), [{ path: 'triggers.webhook.secret_key', message: 'must be at least 16 characters long' }]],
    ['forward_headers not header names', definition({ triggers: { webhook: { forward_headers: ['X-Ok', 'bad header'] } } }), [{ path: 'triggers.webhook.forward_headers', message: 'must be an HTTP header name' }]],
    ['forward_headers not an array', definition({ triggers: { webhook: { forward_headers: 'X-A' } } }), [{ path: 'triggers.webhook.forward_headers', message: 'must be an array of header names' }]],
    ['rate limit without window', definition({ triggers: { webhook: { secret_key: '0123456789abcdef', rate_limit: { max_requests: 10 } } } }),
      [{ path: 'triggers.webhook.rate_limit.window_seconds', message: 'is required' }]],
    ['trigger flag not boolean', definition({ triggers: { manual: 'no' } }), [{ path: 'triggers.manual', message: 'must be a boolean' }]],
    ['triggers not an object', definition({ triggers: true }), [{ path: 'triggers', message: 'must be an object' }]],
    // references, conditions, templates
    ['reference to a later step', definition({ steps: [pingStep({}, { url: '{{steps.later.output.body.url}}' }), pingStep({ id: 'later' })] }),
      [{ path: 'steps[0].config.url', message: 'refers to step "later" which does not run before this step' }]],
    ['reference to itself', withStep({ id: 'fetch', name: 'F', type: 'free', config: { headers: { 'X-Prev': '{{steps.fetch.output.status}}' } } }),
      [{ path: 'steps[0].config.headers["X-Prev"]', message: 'refers to step "fetch" which does not run before this step' }]],
    ['reference to an unknown step', definition({ steps: [pingStep(), { id: 'b', name: 'B', type: 'free', config: { body: { id: '{{steps.nope.output.id}}' } } }] }),
      [{ path: 'steps[1].config.body.id', message: 'refers to step "nope" which does not exist' }]],
    ['condition referring to a later step', definition({ steps: [pingStep({ condition: 'steps.later.status == "success"' }), pingStep({ id: 'later' })] }),
      [{ path: 'steps[0].condition', message: 'refers to step "later" which does not run before this step' }]],
  ];

  it.each(table)('%s', (_label, raw, expected) => {
    expect(errors(raw)).toEqual(expected);
  });

  /** The message @vecron/context gives for a malformed condition (its wording is its own). */
  function conditionMessage(src: string): string {
    try {
      parseCondition(src);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error(`condition parsed: ${src}`);
  }

  it('rejects a condition with a syntax error, giving its position', () => {
    const condition = 'steps.fetch.output.status == (200';
    const message = conditionMessage(condition);
    expect(message).toMatch(/at position 33$/); // the end of the text
    expect(errors(definition({ steps: [pingStep(), pingStep({ id: 'b', condition })] }))).toEqual([{ path: 'steps[1].condition', message }]);
  });

  it('rejects a template with a syntax error (the step type lets templates through)', () => {
    const url = 'https://x.example/{{steps.fetch.output';
    const [problem] = findTemplateErrors(url);
    expect(problem?.message).toContain('unclosed');
    expect(errors(withStep(pingStep({}, { url })))).toEqual([{ path: 'steps[0].config.url', message: problem?.message }]);
  });

  it('lists every wrong field at once, in path order', () => {
    const raw = {
      name: '',
      bogus: true,
      schedule: { type: 'cron', expression: '0 0 1 * * ?', timezone: 'Mars/Base' },
      steps: [
        pingStep({}, { method: 'FETCH', url: '{{steps.b.output.url}}' }),
        { id: 'b', name: 'B', type: 'sql', config: { query: '' } },
        { id: 'b', name: 'B2', type: 'ftp', config: {} },
      ],
      timeout_seconds: 0,
    };
    expect(errors(raw)).toEqual([
      { path: 'bogus', message: 'is not allowed' },
      { path: 'name', message: 'must not be empty' },
      { path: 'schedule.timezone', message: 'unknown time zone "Mars/Base"' },
      { path: 'steps[0].config.method', message: 'must be one of GET, POST' },
      { path: 'steps[0].config.url', message: 'refers to step "b" which does not run before this step' },
      { path: 'steps[1].config.query', message: 'should not be empty' },
      { path: 'steps[2].id', message: 'duplicate step id "b"' },
      { path: 'steps[2].type', message: 'must be one of free, ping, sql (the registered step types)' },
      { path: 'timeout_seconds', message: 'must be at least 1' },
    ]);
  });

  it('orders step indexes numerically', () => {
    const steps = Array.from({ length: 12 }, (_v, i) => pingStep({ id: `s${i}` }, { method: i === 2 || i === 10 ? 'X' : 'GET' }));
    expect(errors(definition({ steps })).map((e) => e.path)).toEqual(['steps[2].config.method', 'steps[10].config.method']);
  });

  it('assertValidJobDefinition throws JobDefinitionValidationError carrying the issues', () => {
    let caught: unknown;
    try {
      assertValidJobDefinition(definition({ steps: [] }), catalog);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(JobDefinitionValidationError);
    expect(caught).toBeInstanceOf(Error);
    expect((caught as JobDefinitionValidationError).issues).toEqual([{ path: 'steps', message: 'must contain at least one step' }]);
    expect((caught as Error).message).toBe('invalid job definition: steps: must contain at least one step');
  });

  it('rejects absurdly deep documents without recursing', () => {
    let body: unknown = 1;
    for (let i = 0; i < 5000; i++) body = [body];
    expect(errors(withStep({ id: 'a', name: 'A', type: 'free', config: { body } }))).toEqual([{ path: '', message: 'is nested deeper than 100 levels' }]);
    let schedule: unknown = {};
    for (let i = 0; i < 5000; i++) schedule = { a: schedule };
    expect(errors(definition({ schedule }))).toEqual([{ path: '', message: 'is nested deeper than 100 levels' }]);
  });
});

import { findTemplateErrors, parseCondition } from '@vecron/context';
import { assertValidJobDefinition, validateJobDefinition } from './job-definition.validator';
import type { ValidationIssue } from './validation-issue';
import { JobDefinitionValidationError } from './validation-issue';

// A JSON value built by the tests (plain data, possibly invalid).
type Json = Record<string, unknown>;

const httpStep = (over: Json = {}, config: Json = {}): Json => ({
  id: 'fetch',
  name: 'Fetch',
  type: 'http',
  config: { method: 'GET', url: 'https://api.example.com/items', ...config },
  ...over,
});

const definition = (over: Json = {}): Json => ({
  name: 'Daily bank reconciliation',
  schedule: { type: 'cron', expression: '0 0 1 * * ?' },
  steps: [httpStep()],
  ...over,
});

const withStep = (step: Json): Json => definition({ steps: [step] });

function ok(raw: unknown): Json {
  const result = validateJobDefinition(raw);
  if (!result.ok) throw new Error(`expected valid, got ${JSON.stringify(result.errors)}`);
  return result.definition as unknown as Json;
}

function errors(raw: unknown): ValidationIssue[] {
  const result = validateJobDefinition(raw);
  if (result.ok) throw new Error('expected invalid');
  return result.errors;
}

describe('validateJobDefinition: valid definitions', () => {
  it('accepts the ARCHITECTURE.md example and applies every default', () => {
    const raw = {
      name: 'Daily bank reconciliation',
      description: 'optional',
      schedule: { type: 'cron', expression: '0 0 1 * * *', timezone: 'Asia/Ho_Chi_Minh', end_date: null },
      triggers: {
        scheduled: true,
        manual: true,
        webhook: { enabled: true, secret_key: 'a-very-secret-key-123', rate_limit: { max_requests: 100, window_seconds: 60 } },
      },
      steps: [{ id: 'fetch', name: 'Fetch', type: 'http', condition: null, config: { method: 'GET', url: 'https://bank.example.com/statements' } }],
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
      steps: [
        {
          id: 'fetch',
          name: 'Fetch',
          type: 'http',
          condition: null,
          config: { method: 'GET', url: 'https://bank.example.com/statements', timeout_seconds: 30 },
        },
      ],
      timeout_seconds: 300,
      max_retries: 10,
      allow_concurrent: false,
      enabled: true,
    });
    expect(JSON.stringify(raw)).toBe(snapshot); // input untouched
  });

  it('returns plain JSON (no class instances) with defaults for a minimal definition', () => {
    const def = ok({ name: 'x', steps: [httpStep()] });
    expect(def).toEqual({
      name: 'x',
      steps: [{ id: 'fetch', name: 'Fetch', type: 'http', config: { method: 'GET', url: 'https://api.example.com/items', timeout_seconds: 30 }, condition: null }],
      schedule: null,
      triggers: { scheduled: true, manual: true },
      timeout_seconds: 300,
      max_retries: 10,
      allow_concurrent: false,
      enabled: true,
    });
    expect(Object.getPrototypeOf(def)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(def['steps'] as object[])).toBe(Array.prototype);
    expect(Object.getPrototypeOf((def['steps'] as Json[])[0])).toBe(Object.prototype);
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

  describe('every step type and auth variant', () => {
    const cases: [string, Json, Json][] = [
      ['http without auth, JSON body, headers', httpStep({}, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Api-Key': '${API_KEY}' }, body: { items: [1, 2], nested: { ok: true } } }),
        { method: 'POST', url: 'https://api.example.com/items', headers: { 'Content-Type': 'application/json', 'X-Api-Key': '${API_KEY}' }, body: { items: [1, 2], nested: { ok: true } }, timeout_seconds: 30 }],
      ['http basic', httpStep({}, { auth: { type: 'basic', username: 'u', password: 'p' }, body: 'raw text', timeout_seconds: 10 }),
        { method: 'GET', url: 'https://api.example.com/items', auth: { type: 'basic', username: 'u', password: 'p' }, body: 'raw text', timeout_seconds: 10 }],
      ['http bearer', httpStep({}, { method: 'DELETE', auth: { type: 'bearer', token: '${TOKEN}' } }),
        { method: 'DELETE', url: 'https://api.example.com/items', auth: { type: 'bearer', token: '${TOKEN}' }, timeout_seconds: 30 }],
      ['http oauth2', httpStep({}, { method: 'PUT', auth: { type: 'oauth2', client_id: 'c', client_secret: 's', token_url: 'https://auth.example.com/token', scope: 'read write' } }),
        { method: 'PUT', url: 'https://api.example.com/items', auth: { type: 'oauth2', client_id: 'c', client_secret: 's', token_url: 'https://auth.example.com/token', scope: 'read write' }, timeout_seconds: 30 }],
      ['http oauth2 without scope', httpStep({}, { method: 'PATCH', auth: { type: 'oauth2', client_id: 'c', client_secret: 's', token_url: '${TOKEN_URL}' } }),
        { method: 'PATCH', url: 'https://api.example.com/items', auth: { type: 'oauth2', client_id: 'c', client_secret: 's', token_url: '${TOKEN_URL}' }, timeout_seconds: 30 }],
      ['database raw_sql', { id: 'q', name: 'Query', type: 'database', config: { database_type: 'postgresql', connection_string: '${DB_URL}', query: 'select * from t where id = $1', parameters: ['{{webhook.payload.id}}', 5, null], timeout_seconds: 60 } },
        { database_type: 'postgresql', connection_string: '${DB_URL}', query: 'select * from t where id = $1', parameters: ['{{webhook.payload.id}}', 5, null], timeout_seconds: 60, query_type: 'raw_sql' }],
      ['database stored_procedure', { id: 'q', name: 'Proc', type: 'database', config: { database_type: 'oracle', connection_string: 'oracle://db/x', query_type: 'stored_procedure', procedure_name: 'pkg.reconcile', parameters: [1] } },
        { database_type: 'oracle', connection_string: 'oracle://db/x', query_type: 'stored_procedure', procedure_name: 'pkg.reconcile', parameters: [1] }],
      ['database mysql defaults', { id: 'q', name: 'Q', type: 'database', config: { database_type: 'mysql', connection_string: 'mysql://db/x', query: 'select 1' } },
        { database_type: 'mysql', connection_string: 'mysql://db/x', query: 'select 1', parameters: [], query_type: 'raw_sql' }],
      ['file_processing read csv with transformations',
        { id: 'read', name: 'Read', type: 'file_processing', config: { operation: 'read', format: 'csv', source_path: 'inbox/{{execution_date}}.csv', options: { delimiter: ';', streaming: true, transformations: [
          { type: 'column_mapping', from: 'Amount', to: 'amount' },
          { type: 'type_conversion', column: 'amount', target_type: 'number' },
          { type: 'filter', condition: "amount > 100 && ['Customer Name'] != ''" },
        ] } } },
        { operation: 'read', format: 'csv', source_path: 'inbox/{{execution_date}}.csv', options: { delimiter: ';', streaming: true, transformations: [
          { type: 'column_mapping', from: 'Amount', to: 'amount' },
          { type: 'type_conversion', column: 'amount', target_type: 'number' },
          { type: 'filter', condition: "amount > 100 && ['Customer Name'] != ''" },
        ] } }],
      ['file_processing write excel', { id: 'write', name: 'Write', type: 'file_processing', config: { operation: 'write', format: 'excel', destination_path: 'report.xlsx', data_source: '{{steps.fetch.output.body.items}}', options: { sheet_name: 'Report' } } },
        { operation: 'write', format: 'excel', destination_path: 'report.xlsx', data_source: '{{steps.fetch.output.body.items}}', options: { sheet_name: 'Report' } }],
      ['sftp download with password', { id: 'get', name: 'Get', type: 'sftp', config: { operation: 'download', host: 'sftp.bank.example.com', auth: { type: 'password', username: 'u', password: '${SFTP_PASSWORD}' }, remote_path: '/out', options: { wildcard_pattern: '*.csv', recursive: false, verify_host_key: true, host_key: 'SHA256:abc' } } },
        { operation: 'download', host: 'sftp.bank.example.com', auth: { type: 'password', username: 'u', password: '${SFTP_PASSWORD}' }, remote_path: '/out', options: { wildcard_pattern: '*.csv', recursive: false, verify_host_key: true, host_key: 'SHA256:abc' }, port: 22 }],
      ['sftp upload with ssh key path', { id: 'put', name: 'Put', type: 'sftp', config: { operation: 'upload', host: '10.0.0.5', port: 2222, auth: { type: 'ssh_key', username: 'u', private_key_path: '/keys/id_ed25519' }, remote_path: '/in/report.xlsx', local_path: '{{steps.fetch.output.body.path}}', options: { create_directories: true } } },
        { operation: 'upload', host: '10.0.0.5', port: 2222, auth: { type: 'ssh_key', username: 'u', private_key_path: '/keys/id_ed25519' }, remote_path: '/in/report.xlsx', local_path: '{{steps.fetch.output.body.path}}', options: { create_directories: true } }],
      ['sftp verify_host_key without host_key (the worker known_hosts decides)', { id: 'get', name: 'Get', type: 'sftp', config: { operation: 'download', host: 'h.example', auth: { type: 'password', username: 'u', password: 'p' }, remote_path: '/out', options: { verify_host_key: true } } },
        { operation: 'download', host: 'h.example', auth: { type: 'password', username: 'u', password: 'p' }, remote_path: '/out', options: { verify_host_key: true }, port: 22 }],
      ['sftp ssh key text with passphrase', { id: 'get', name: 'Get', type: 'sftp', config: { operation: 'download', host: '${SFTP_HOST}', auth: { type: 'ssh_key', username: 'u', private_key: '${SFTP_KEY}', passphrase: 'pw' }, remote_path: '/out' } },
        { operation: 'download', host: '${SFTP_HOST}', auth: { type: 'ssh_key', username: 'u', private_key: '${SFTP_KEY}', passphrase: 'pw' }, remote_path: '/out', port: 22 }],
    ];

    it.each(cases)('%s', (_label, step, expectedConfig) => {
      const steps = step['id'] === 'fetch' ? [step] : [httpStep(), step];
      const def = ok(definition({ steps }));
      const last = (def['steps'] as Json[])[steps.length - 1] as Json;
      expect(last['config']).toEqual(expectedConfig);
    });
  });

  it('accepts templates in place of URLs and references to earlier steps', () => {
    ok(
      definition({
        steps: [
          httpStep(),
          httpStep({ id: 'detail', condition: 'steps.fetch.output.status == 200 && len(steps.fetch.output.body.items) > 0' }, { url: '{{steps.fetch.output.body.url}}' }),
          httpStep({ id: 'post', name: 'Post' }, { method: 'POST', url: '${API_BASE}/items/{{steps.detail.response.body.id}}', body: '{{steps.detail.output.body}}' }),
        ],
      }),
    );
  });

  it('keeps unusual keys of free-form JSON as data', () => {
    const raw = JSON.parse('{"name":"x","steps":[{"id":"a","name":"A","type":"http","config":{"method":"POST","url":"https://x.example","body":{"constructor":1,"__proto__":{"polluted":true},"toString":"s"}}}]}') as Json;
    const def = ok(raw);
    const body = ((def['steps'] as Json[])[0]?.['config'] as Json)['body'] as Json;
    expect(Object.keys(body)).toEqual(['constructor', '__proto__', 'toString']);
    expect(JSON.stringify(body)).toBe('{"constructor":1,"__proto__":{"polluted":true},"toString":"s"}');
    expect(({} as Json)['polluted']).toBeUndefined();
  });

  it('assertValidJobDefinition returns the definition', () => {
    expect(assertValidJobDefinition(definition())['name']).toBe('Daily bank reconciliation');
  });
});

describe('validateJobDefinition: invalid definitions', () => {
  const sftp = (auth: Json, extra: Json = {}): Json => ({
    id: 'get', name: 'Get', type: 'sftp', config: { operation: 'download', host: 'h.example', auth, remote_path: '/out', ...extra },
  });
  const db = (config: Json): Json => ({ id: 'q', name: 'Q', type: 'database', config: { database_type: 'postgresql', connection_string: 'pg://x', ...config } });
  const file = (config: Json): Json => ({ id: 'f', name: 'F', type: 'file_processing', config });
  const schedule = (s: Json): Json => definition({ schedule: s });

  const table: [string, unknown, ValidationIssue[]][] = [
    ['a non-object document', ['x'], [{ path: '', message: 'must be a JSON object' }]],
    ['null document', null, [{ path: '', message: 'must be a JSON object' }]],
    ['missing name', definition({ name: undefined }), [{ path: 'name', message: 'is required' }]],
    ['blank name', definition({ name: '   ' }), [{ path: 'name', message: 'must not be empty' }]],
    ['name not a string', definition({ name: 42 }), [{ path: 'name', message: 'must be a string' }]],
    ['unknown top-level property', definition({ foo: 1 }), [{ path: 'foo', message: 'property foo should not exist' }]],
    ['__proto__ key', JSON.parse('{"name":"x","steps":[{"id":"a","name":"A","type":"http","config":{"method":"GET","url":"https://x.example"}}],"__proto__":{"x":1}}'),
      [{ path: '__proto__', message: 'property __proto__ should not exist' }]],
    ['constructor key in a config', withStep(httpStep({}, { constructor: 'x' })), [{ path: 'steps[0].config.constructor', message: 'property constructor should not exist' }]],
    ['negative job timeout', definition({ timeout_seconds: -5 }), [{ path: 'timeout_seconds', message: 'must be at least 1' }]],
    ['fractional job timeout', definition({ timeout_seconds: 1.5 }), [{ path: 'timeout_seconds', message: 'must be an integer' }]],
    ['max_retries too large', definition({ max_retries: 101 }), [{ path: 'max_retries', message: 'must be at most 100' }]],
    ['enabled not boolean', definition({ enabled: 'yes' }), [{ path: 'enabled', message: 'must be a boolean' }]],
    ['missing steps', definition({ steps: undefined }), [{ path: 'steps', message: 'is required' }]],
    ['empty steps', definition({ steps: [] }), [{ path: 'steps', message: 'must contain at least one step' }]],
    ['steps not an array', definition({ steps: {} }), [{ path: 'steps', message: 'must be an array' }]],
    ['a step that is not an object', definition({ steps: [httpStep(), 'x', [httpStep()]] }),
      [{ path: 'steps[1]', message: 'must be an object' }, { path: 'steps[2]', message: 'must be an object' }]],
    ['duplicate step ids', definition({ steps: [httpStep(), httpStep({ name: 'Again' }), httpStep({ id: 'other' }), httpStep()] }),
      [{ path: 'steps[1].id', message: 'duplicate step id "fetch"' }, { path: 'steps[3].id', message: 'duplicate step id "fetch"' }]],
    ['bad step id', withStep(httpStep({ id: '1st' })), [{ path: 'steps[0].id', message: 'must match /^[A-Za-z_][A-Za-z0-9_-]*$/' }]],
    ['unknown step type (config not checked)', withStep({ id: 'x', name: 'X', type: 'ftp', config: { anything: 1 } }),
      [{ path: 'steps[0].type', message: 'must be one of http, database, file_processing, sftp' }]],
    ['missing step config', withStep({ id: 'x', name: 'X', type: 'http' }), [{ path: 'steps[0].config', message: 'is required' }]],
    ['empty condition', withStep(httpStep({ condition: '' })), [{ path: 'steps[0].condition', message: 'must not be empty' }]],
    ['retry out of range', withStep(httpStep({ retry: { max_retries: -1, backoff_seconds: 5 } })), [{ path: 'steps[0].retry.max_retries', message: 'must be at least 0' }]],
    // http
    ['wrong method', withStep(httpStep({}, { method: 'FETCH' })), [{ path: 'steps[0].config.method', message: 'must be one of GET, POST, PUT, PATCH, DELETE' }]],
    ['lowercase method', withStep(httpStep({}, { method: 'get' })), [{ path: 'steps[0].config.method', message: 'must be one of GET, POST, PUT, PATCH, DELETE' }]],
    ['missing url', withStep(httpStep({}, { url: undefined })), [{ path: 'steps[0].config.url', message: 'is required' }]],
    ['not a URL', withStep(httpStep({}, { url: 'api.example.com/items' })), [{ path: 'steps[0].config.url', message: 'must be an absolute http or https URL' }]],
    ['ftp URL', withStep(httpStep({}, { url: 'ftp://files.example.com' })), [{ path: 'steps[0].config.url', message: 'must be an absolute http or https URL' }]],
    ['header value not a string', withStep(httpStep({}, { headers: { 'X-Count': 3, ok: 'yes', n: false } })),
      [{ path: 'steps[0].config.headers.n', message: 'must be a string' }, { path: 'steps[0].config.headers["X-Count"]', message: 'must be a string' }]],
    ['wrong http auth type', withStep(httpStep({}, { auth: { type: 'digest', user: 'x' } })), [{ path: 'steps[0].config.auth.type', message: 'must be one of basic, bearer, oauth2' }]],
    ['basic auth without password', withStep(httpStep({}, { auth: { type: 'basic', username: 'u' } })), [{ path: 'steps[0].config.auth.password', message: 'is required' }]],
    ['oauth2 without token_url', withStep(httpStep({}, { auth: { type: 'oauth2', client_id: 'c', client_secret: 's' } })), [{ path: 'steps[0].config.auth.token_url', message: 'is required' }]],
    ['bearer with a stray field', withStep(httpStep({}, { auth: { type: 'bearer', token: 't', username: 'u' } })), [{ path: 'steps[0].config.auth.username', message: 'property username should not exist' }]],
    ['zero step timeout', withStep(httpStep({}, { timeout_seconds: 0 })), [{ path: 'steps[0].config.timeout_seconds', message: 'must be at least 1' }]],
    ['unknown config property', withStep(httpStep({}, { verb: 'GET' })), [{ path: 'steps[0].config.verb', message: 'property verb should not exist' }]],
    // database
    ['unknown database type', withStep(db({ database_type: 'sqlite', query: 'select 1' })), [{ path: 'steps[0].config.database_type', message: 'must be one of postgresql, mysql, oracle' }]],
    ['database without connection_string', withStep(db({ connection_string: undefined, query: 'select 1' })), [{ path: 'steps[0].config.connection_string', message: 'is required' }]],
    ['raw_sql without query', withStep(db({})), [{ path: 'steps[0].config.query', message: 'is required' }]],
    ['stored_procedure without procedure_name', withStep(db({ query_type: 'stored_procedure' })),
      [{ path: 'steps[0].config.procedure_name', message: 'is required when query_type is stored_procedure' }]],
    ['procedure_name with raw_sql', withStep(db({ query: 'select 1', procedure_name: 'p' })),
      [{ path: 'steps[0].config.procedure_name', message: 'is only allowed when query_type is stored_procedure' }]],
    ['parameters not an array', withStep(db({ query: 'select 1', parameters: { a: 1 } })), [{ path: 'steps[0].config.parameters', message: 'must be an array' }]],
    ['wrong query_type', withStep(db({ query: 'select 1', query_type: 'batch' })), [{ path: 'steps[0].config.query_type', message: 'must be one of raw_sql, stored_procedure' }]],
    // file_processing
    ['read without source_path', withStep(file({ operation: 'read', format: 'csv' })), [{ path: 'steps[0].config.source_path', message: 'is required when operation is read' }]],
    ['write without destination and data', withStep(file({ operation: 'write', format: 'excel' })),
      [{ path: 'steps[0].config.data_source', message: 'is required when operation is write' }, { path: 'steps[0].config.destination_path', message: 'is required when operation is write' }]],
    ['destination_path on a read', withStep(file({ operation: 'read', format: 'csv', source_path: 'a.csv', destination_path: 'b.csv' })),
      [{ path: 'steps[0].config.destination_path', message: 'is only allowed when operation is write' }]],
    ['unknown format', withStep(file({ operation: 'read', format: 'json', source_path: 'a.json' })), [{ path: 'steps[0].config.format', message: 'must be one of csv, excel' }]],
    ['bad conversion target', withStep(file({ operation: 'read', format: 'csv', source_path: 'a.csv', options: { transformations: [{ type: 'type_conversion', column: 'a', target_type: 'float' }] } })),
      [{ path: 'steps[0].config.options.transformations[0].target_type', message: 'must be one of string, number, integer, boolean, date' }]],
    ['unknown transformation', withStep(file({ operation: 'read', format: 'csv', source_path: 'a.csv', options: { transformations: [{ type: 'column_mapping', from: 'a', to: 'b' }, { type: 'rename', old: 'a' }] } })),
      [{ path: 'steps[0].config.options.transformations[1].type', message: 'must be one of column_mapping, type_conversion, filter' }]],
    ['sheet_name with sheet_index', withStep(file({ operation: 'read', format: 'excel', source_path: 'a.xlsx', options: { sheet_name: 'S', sheet_index: 0 } })),
      [{ path: 'steps[0].config.options.sheet_name', message: 'cannot be combined with sheet_index' }]],
    // sftp
    ['sftp without host', withStep(sftp({ type: 'password', username: 'u', password: 'p' }, { host: undefined })), [{ path: 'steps[0].config.host', message: 'is required' }]],
    ['sftp bad host', withStep(sftp({ type: 'password', username: 'u', password: 'p' }, { host: 'bad host' })), [{ path: 'steps[0].config.host', message: 'must be a host name or IP address' }]],
    ['sftp port out of range', withStep(sftp({ type: 'password', username: 'u', password: 'p' }, { port: 70000 })), [{ path: 'steps[0].config.port', message: 'must be at most 65535' }]],
    ['sftp wrong auth type', withStep(sftp({ type: 'basic', username: 'u', password: 'p' })), [{ path: 'steps[0].config.auth.type', message: 'must be one of password, ssh_key' }]],
    ['sftp without auth', withStep(sftp(undefined as unknown as Json)), [{ path: 'steps[0].config.auth', message: 'is required' }]],
    ['ssh key with both private_key and private_key_path', withStep(sftp({ type: 'ssh_key', username: 'u', private_key: 'PEM', private_key_path: '/k' })),
      [{ path: 'steps[0].config.auth.private_key', message: 'cannot be combined with private_key_path: give exactly one of them' }]],
    ['ssh key with neither', withStep(sftp({ type: 'ssh_key', username: 'u' })),
      [{ path: 'steps[0].config.auth.private_key_path', message: 'one of private_key_path and private_key is required' }]],
    ['upload without local_path', withStep(sftp({ type: 'password', username: 'u', password: 'p' }, { operation: 'upload' })),
      [{ path: 'steps[0].config.local_path', message: 'is required when operation is upload' }]],
    // schedules
    ['bad cron field', schedule({ type: 'cron', expression: '0 0 25 * * ?' }), [{ path: 'schedule.expression', message: 'hour field: value 25 out of range 0-23' }]],
    ['bad cron day-of-week', schedule({ type: 'cron', expression: '0 0 1 ? * 9' }), [{ path: 'schedule.expression', message: 'day-of-week field: value 9 out of range 1-7' }]],
    ['cron with both day fields', schedule({ type: 'cron', expression: '0 0 1 15 * MON' }),
      [{ path: 'schedule.expression', message: 'day-of-month and day-of-week cannot both be restricted in a Quartz expression; set one of them to "?"' }]],
    ['cron that never fires', schedule({ type: 'cron', expression: '0 0 0 30 2 ?' }), [{ path: 'schedule.expression', message: 'never fires: no date matches the expression' }]],
    ['cron without expression', schedule({ type: 'cron' }), [{ path: 'schedule.expression', message: 'is required' }]],
    ['unknown time zone', schedule({ type: 'cron', expression: '0 0 1 * * ?', timezone: 'Mars/Base' }), [{ path: 'schedule.timezone', message: 'unknown time zone "Mars/Base"' }]],
    ['offset instead of a zone', schedule({ type: 'fixed_rate', interval_seconds: 60, timezone: '+07:00' }), [{ path: 'schedule.timezone', message: 'unknown time zone "+07:00"' }]],
    ['unknown schedule type (fields not checked)', schedule({ type: 'hourly', every: 1 }), [{ path: 'schedule.type', message: 'must be one of cron, fixed_rate, fixed_delay, one_time' }]],
    ['schedule without type', schedule({ expression: '0 0 1 * * ?' }), [{ path: 'schedule.type', message: 'is required' }]],
    ['zero interval', schedule({ type: 'fixed_rate', interval_seconds: 0 }), [{ path: 'schedule.interval_seconds', message: 'must be at least 1' }]],
    ['interval as a string', schedule({ type: 'fixed_rate', interval_seconds: '60' }), [{ path: 'schedule.interval_seconds', message: 'must be an integer' }]],
    ['fixed_delay without delay', schedule({ type: 'fixed_delay' }), [{ path: 'schedule.delay_seconds', message: 'is required' }]],
    ['interval on a cron', schedule({ type: 'cron', expression: '0 0 1 * * ?', interval_seconds: 5 }), [{ path: 'schedule.interval_seconds', message: 'property interval_seconds should not exist' }]],
    ['execute_at without offset', schedule({ type: 'one_time', execute_at: '2026-01-31T09:00:00' }),
      [{ path: 'schedule.execute_at', message: 'must be an ISO-8601 date-time with an offset or Z (e.g. 2026-01-31T09:00:00+07:00)' }]],
    ['execute_at not a date', schedule({ type: 'one_time', execute_at: '2026-02-30T09:00:00Z' }),
      [{ path: 'schedule.execute_at', message: 'must be an ISO-8601 date-time with an offset or Z (e.g. 2026-01-31T09:00:00+07:00)' }]],
    ['end_date on a one-time schedule', schedule({ type: 'one_time', execute_at: '2026-01-31T09:00:00Z', end_date: '2026-02-01' }),
      [{ path: 'schedule.end_date', message: 'property end_date should not exist' }]],
    ['bad end_date', schedule({ type: 'cron', expression: '0 0 1 * * ?', end_date: '31/12/2026' }),
      [{ path: 'schedule.end_date', message: 'must be an ISO-8601 date or date-time (e.g. 2026-12-31 or 2026-12-31T23:59:59+07:00)' }]],
    ['unknown misfire policy', schedule({ type: 'fixed_rate', interval_seconds: 60, misfire_policy: 'later' }), [{ path: 'schedule.misfire_policy', message: 'must be one of fire_once, skip, fire_all' }]],
    ['misfire cap too high', schedule({ type: 'fixed_rate', interval_seconds: 60, misfire_max_fires: 5000 }), [{ path: 'schedule.misfire_max_fires', message: 'must be at most 1000' }]],
    ['schedule not an object', schedule('0 0 1 * * ?' as unknown as Json), [{ path: 'schedule', message: 'must be an object' }]],
    // triggers
    ['short webhook secret', definition({ triggers: { webhook: { enabled: true, secret_key: 'short' } } }), [{ path: 'triggers.webhook.secret_key', message: 'must be at least 16 characters long' }]],
    ['enabled webhook without secret', definition({ triggers: { webhook: {} } }), [{ path: 'triggers.webhook.secret_key', message: 'is required when the webhook is enabled' }]],
    ['rate limit without window', definition({ triggers: { webhook: { secret_key: '0123456789abcdef', rate_limit: { max_requests: 10 } } } }),
      [{ path: 'triggers.webhook.rate_limit.window_seconds', message: 'is required' }]],
    ['trigger flag not boolean', definition({ triggers: { manual: 'no' } }), [{ path: 'triggers.manual', message: 'must be a boolean' }]],
    // references, conditions, templates
    ['reference to a later step', definition({ steps: [httpStep({}, { url: '{{steps.later.output.body.url}}' }), httpStep({ id: 'later' })] }),
      [{ path: 'steps[0].config.url', message: 'refers to step "later" which does not run before this step' }]],
    ['reference to itself', withStep(httpStep({}, { headers: { 'X-Prev': '{{steps.fetch.output.status}}' } })),
      [{ path: 'steps[0].config.headers["X-Prev"]', message: 'refers to step "fetch" which does not run before this step' }]],
    ['reference to an unknown step', definition({ steps: [httpStep(), httpStep({ id: 'b' }, { body: { id: '{{steps.nope.output.id}}' } })] }),
      [{ path: 'steps[1].config.body.id', message: 'refers to step "nope" which does not exist' }]],
    ['condition referring to a later step', definition({ steps: [httpStep({ condition: 'steps.later.status == "success"' }), httpStep({ id: 'later' })] }),
      [{ path: 'steps[0].condition', message: 'refers to step "later" which does not run before this step' }]],
  ];

  it.each(table)('%s', (_label, raw, expected) => {
    expect(errors(raw)).toEqual(expected);
  });

  /** The message @vecron/context gives for a malformed condition (its wording is its own). */
  function conditionMessage(src: string, anyRoot = false): string {
    try {
      parseCondition(src, { anyRoot });
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error(`condition parsed: ${src}`);
  }

  it('rejects a condition with a syntax error, giving its position', () => {
    const condition = 'steps.fetch.output.status == (200';
    const message = conditionMessage(condition);
    expect(message).toMatch(/at position 33$/); // the end of the text
    expect(errors(definition({ steps: [httpStep(), httpStep({ id: 'b', condition })] }))).toEqual([{ path: 'steps[1].condition', message }]);
  });

  it('rejects a filter with a syntax error, giving its position', () => {
    const message = conditionMessage('amount >', true);
    expect(message).toMatch(/at position 8$/);
    expect(
      errors(withStep(file({ operation: 'read', format: 'csv', source_path: 'a.csv', options: { transformations: [{ type: 'filter', condition: 'amount >' }] } }))),
    ).toEqual([{ path: 'steps[0].config.options.transformations[0].condition', message }]);
  });

  it('rejects a template with a syntax error', () => {
    const url = 'https://x.example/{{steps.fetch.output';
    const [problem] = findTemplateErrors(url);
    expect(problem?.message).toContain('unclosed');
    expect(errors(withStep(httpStep({}, { url })))).toEqual([{ path: 'steps[0].config.url', message: problem?.message }]);
  });

  it('lists every wrong field at once, in path order', () => {
    const raw = {
      name: '',
      bogus: true,
      schedule: { type: 'cron', expression: '0 0 1 * * ?', timezone: 'Mars/Base' },
      steps: [
        httpStep({}, { method: 'FETCH', url: '{{steps.b.output.url}}' }),
        { id: 'b', name: 'B', type: 'database', config: { database_type: 'postgresql', connection_string: 'x', query_type: 'stored_procedure' } },
        { id: 'b', name: 'B2', type: 'sftp', config: { operation: 'download', host: 'h', remote_path: '/', auth: { type: 'ssh_key', username: 'u', private_key: 'k', private_key_path: '/k' } } },
      ],
      timeout_seconds: 0,
    };
    expect(errors(raw)).toEqual([
      { path: 'bogus', message: 'property bogus should not exist' },
      { path: 'name', message: 'must not be empty' },
      { path: 'schedule.timezone', message: 'unknown time zone "Mars/Base"' },
      { path: 'steps[0].config.method', message: 'must be one of GET, POST, PUT, PATCH, DELETE' },
      { path: 'steps[0].config.url', message: 'refers to step "b" which does not run before this step' },
      { path: 'steps[1].config.procedure_name', message: 'is required when query_type is stored_procedure' },
      { path: 'steps[2].config.auth.private_key', message: 'cannot be combined with private_key_path: give exactly one of them' },
      { path: 'steps[2].id', message: 'duplicate step id "b"' },
      { path: 'timeout_seconds', message: 'must be at least 1' },
    ]);
  });

  it('assertValidJobDefinition throws JobDefinitionValidationError carrying the issues', () => {
    let caught: unknown;
    try {
      assertValidJobDefinition(definition({ steps: [] }));
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
    expect(errors(withStep(httpStep({}, { method: 'POST', body })))).toEqual([{ path: '', message: 'is nested deeper than 100 levels' }]);
  });

  it('reports non-JSON values inside free-form data', () => {
    expect(errors(withStep(httpStep({}, { method: 'POST', body: { when: new Date(0), n: 1 } })))).toEqual([
      { path: 'steps[0].config.body.when', message: 'must be JSON data (string, number, boolean, null, array or object)' },
    ]);
    expect(errors(withStep(httpStep({}, { method: 'POST', body: [1, Number.NaN] })))).toEqual([
      { path: 'steps[0].config.body[1]', message: 'must be a finite number' },
    ]);
  });
});

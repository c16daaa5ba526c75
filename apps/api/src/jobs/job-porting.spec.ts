import {
  extractSecrets,
  fillSecretPlaceholders,
  findSecretPlaceholders,
  readJobDefinition,
  validateJobDefinition,
} from '@vecron/definitions';
import { createBuiltInExecutors, ExecutorRegistry } from '@vecron/executors';
import { asStepTypeCatalog } from './step-types';

/**
 * The legacy dialect conversion and the secret placeholders, with the api's real catalog (the
 * built-in executors' config classes say which fields are secrets).
 */
const catalog = asStepTypeCatalog(new ExecutorRegistry(createBuiltInExecutors()));
type Json = Record<string, unknown>;

describe('legacy dialect', () => {
  it('reads http_request steps (step-level fields) as http steps, with a warning per moved field', () => {
    const result = readJobDefinition(
      {
        name: 'legacy',
        notes: 'written for the old system',
        steps: [
          { id: 'call', name: 'Call', type: 'http_request', method: 'post', url: 'https://example.com/x', headers: { 'X-A': '1' }, body: { a: 1 }, auth: { type: 'bearer', token: '${TOKEN}' } },
        ],
      },
      catalog,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.definition.notes).toEqual(['written for the old system']);
    expect(result.definition.steps[0]).toMatchObject({
      type: 'http',
      config: { method: 'post', url: 'https://example.com/x', headers: { 'X-A': '1' }, body: { a: 1 }, auth: { type: 'bearer', token: '${TOKEN}' } },
    });
    expect(result.warnings).toEqual(
      expect.arrayContaining([
        { path: 'notes', message: 'one note read as a list of one note' },
        { path: 'steps[0].type', message: '"http_request" read as "http"' },
        { path: 'steps[0].method', message: 'read as config.method of an http step' },
        { path: 'steps[0].auth', message: 'read as config.auth of an http step' },
      ]),
    );
  });

  it('reads the older form where type is an object holding the request', () => {
    for (const type of [{ method: 'GET', url: 'https://example.com/a' }, { http_request: { method: 'GET', url: 'https://example.com/a' } }]) {
      const result = readJobDefinition({ name: 'old', steps: [{ id: 's', name: 'S', type }] }, catalog);
      expect(result).toMatchObject({ ok: true, definition: { steps: [{ type: 'http', config: { method: 'GET', url: 'https://example.com/a' } }] } });
      expect(result.warnings.map((w) => w.path)).toContain('steps[0].type');
    }
  });

  it('moves sftp host-key options written in config into config.options; accepts the forms sftp and files already read', () => {
    const sftp = {
      operation: 'download', host: 'sftp.example.com', auth: { type: 'password', username: 'u', password: '${PW}' },
      remote_path: '/in', verify_host_key: true, streaming: true, timeout_seconds: 600,
    };
    const result = readJobDefinition({ name: 'sftp', steps: [{ id: 'get', name: 'Get', type: 'sftp', config: sftp }] }, catalog);
    expect(result).toMatchObject({ ok: true, definition: { steps: [{ config: { options: { verify_host_key: true, streaming: true }, timeout_seconds: 600 } }] } });
    expect(result.warnings).toEqual([
      { path: 'steps[0].config.verify_host_key', message: 'read as config.options.verify_host_key' },
      { path: 'steps[0].config.streaming', message: 'read as config.options.streaming' },
    ]);
    const { verify_host_key: _v, streaming: _s, ...plain } = sftp;
    // Already vecron's format: options.verify_host_key without host_key, options.streaming, decimal conversions.
    const native = readJobDefinition(
      {
        name: 'native',
        steps: [
          { id: 'get', name: 'Get', type: 'sftp', config: { ...plain, options: { verify_host_key: true, streaming: true } } },
          { id: 'read', name: 'Read', type: 'file_processing', config: { operation: 'read', format: 'csv', source_path: 'in.csv', options: { transformations: [{ type: 'type_conversion', column: 'amount', target_type: 'decimal' }] } } },
        ],
      },
      catalog,
    );
    expect(native).toEqual(expect.objectContaining({ ok: true, warnings: [] }));
    expect([_v, _s]).toEqual([true, true]);
  });

  it('vecron format is not touched and a list of notes is kept', () => {
    const raw = { name: 'n', notes: ['a', 'b'], steps: [{ id: 's', name: 'S', type: 'http', config: { method: 'GET', url: 'https://e.com' } }] };
    expect(readJobDefinition(raw, catalog)).toMatchObject({ ok: true, warnings: [], definition: { notes: ['a', 'b'] } });
    expect(validateJobDefinition({ ...raw, notes: [1] }, catalog)).toMatchObject({ ok: false, errors: [{ path: 'notes', message: 'must be a list of strings' }] });
  });
});

describe('secrets in exports', () => {
  const definition: Json = {
    name: 'secrets',
    steps: [
      { id: 'call', name: 'Call', type: 'http', config: { method: 'GET', url: 'https://e.com', headers: { Authorization: 'Bearer abc', 'X-Trace': 'keep' }, auth: { type: 'basic', username: 'u', password: 'p@ss' } } },
      { id: 'oauth', name: 'OAuth', type: 'http', config: { method: 'GET', url: 'https://e.com', auth: { type: 'oauth2', client_id: 'id', client_secret: 'cs', token_url: 'https://e.com/t' } } },
      { id: 'db', name: 'Db', type: 'database', config: { database_type: 'postgresql', connection_string: 'postgres://u:pw@h/db', query: 'select 1' } },
      { id: 'db2', name: 'Db2', type: 'database', config: { database_type: 'postgresql', connection_string: '${DB_URL}', query: 'select 1' } },
      { id: 'put', name: 'Put', type: 'sftp', config: { operation: 'upload', host: 'h', remote_path: '/x', local_path: 'a', auth: { type: 'ssh_key', username: 'u', private_key: '-----BEGIN KEY-----', passphrase: 'pp' } } },
    ],
  };

  it('replaces every literal secret named by the config classes, keeps templates and other values', () => {
    const { definition: out, secrets } = extractSecrets(definition, catalog);
    expect(secrets).toEqual([
      { name: 'CALL_HEADERS_AUTHORIZATION', path: 'steps[0].config.headers.Authorization' },
      { name: 'CALL_AUTH_PASSWORD', path: 'steps[0].config.auth.password' },
      { name: 'OAUTH_AUTH_CLIENT_SECRET', path: 'steps[1].config.auth.client_secret' },
      { name: 'DB_CONNECTION_STRING', path: 'steps[2].config.connection_string' },
      { name: 'PUT_AUTH_PRIVATE_KEY', path: 'steps[4].config.auth.private_key' },
      { name: 'PUT_AUTH_PASSPHRASE', path: 'steps[4].config.auth.passphrase' },
    ]);
    const text = JSON.stringify(out);
    for (const secret of ['Bearer abc', 'p@ss', '"cs"', 'u:pw', 'BEGIN KEY', '"pp"']) expect(text).not.toContain(secret);
    expect(text).toContain('${DB_URL}');
    expect(text).toContain('"X-Trace":"keep"');
    expect(findSecretPlaceholders(out).map((s) => s.name)).toEqual(secrets.map((s) => s.name));
    // The input is not modified.
    expect(JSON.stringify(definition)).toContain('p@ss');
  });

  it('filling the placeholders gives the definition back; a missing value is reported by path', () => {
    const { definition: out } = extractSecrets(definition, catalog);
    const values = {
      CALL_HEADERS_AUTHORIZATION: 'Bearer abc', CALL_AUTH_PASSWORD: 'p@ss', OAUTH_AUTH_CLIENT_SECRET: 'cs',
      DB_CONNECTION_STRING: 'postgres://u:pw@h/db', PUT_AUTH_PRIVATE_KEY: '-----BEGIN KEY-----', PUT_AUTH_PASSPHRASE: 'pp',
    };
    expect(fillSecretPlaceholders(out, values)).toEqual({ value: definition, missing: [] });
    const { missing } = fillSecretPlaceholders(out, { ...values, CALL_AUTH_PASSWORD: undefined as unknown as string });
    expect(missing).toEqual([{ path: 'steps[0].config.auth.password', message: 'needs a value for the secret "CALL_AUTH_PASSWORD" (give it in secrets)' }]);
  });

  it('names never collide with names already taken (sensitive variables)', () => {
    const { secrets } = extractSecrets(definition, catalog, ['CALL_AUTH_PASSWORD']);
    expect(secrets.map((s) => s.name)).toContain('CALL_AUTH_PASSWORD_2');
  });
});

import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'crypto';
import { Database, SecretCipher, VariablesRepository, parseEncryptionKeys } from '@vecron/db';
import { api, freshTestDatabase, startTestApi, testApiConfig } from './api-test-app';
import { uniqueName } from './fixtures';

/**
 * Job export and import through the api (real PostgreSQL + S3), JSON and multipart bodies. ZIPs
 * are written by archiver 8, an ES module jest cannot load: the ZIP round trip is in
 * e2e/porting.e2e.spec.ts, against the built api.
 */
const KEYS = `k1:${randomBytes(32).toString('base64')}`;
type Json = Record<string, unknown>;

const SECRETS = {
  PASSWORD: 'S3cr3t-basic-pw',
  TOKEN: 'tok-abcdef-123456',
  CONN: 'postgres://app:db-pass-9876@127.0.0.1:5432/app',
  SENSITIVE: 'variable-secret-value-42',
};

function jobWithSecrets(name: string): Json {
  return {
    name,
    description: 'export me',
    notes: ['kept as documentation'],
    schedule: { type: 'cron', expression: '0 0 2 * * ?', timezone: 'Asia/Ho_Chi_Minh' },
    triggers: { scheduled: true, manual: true },
    steps: [
      { id: 'call', name: 'Call', type: 'http', config: { method: 'POST', url: 'https://example.com/a', headers: { Authorization: `Bearer ${SECRETS.TOKEN}` }, body: { x: 1 }, auth: { type: 'basic', username: 'u', password: SECRETS.PASSWORD } }, retry: { max_retries: 2, backoff_seconds: 1 } },
      { id: 'load', name: 'Load', type: 'database', config: { database_type: 'postgresql', connection_string: SECRETS.CONN, query: 'select {{steps.call.output.status}} as s' } },
    ],
    timeout_seconds: 120,
    max_retries: 3,
  };
}

describe('job import and export API', () => {
  let app: INestApplication;
  let db: Database;
  let variables: VariablesRepository;
  const http = () => api(app);

  beforeAll(async () => {
    const url = await freshTestDatabase('vecron_test_porting');
    const cfg = testApiConfig({ DATABASE_URL: url, VARIABLES_ENCRYPTION_KEYS: KEYS, VARIABLES_ENCRYPTION_KEY_ID: 'k1', S3_BUCKET: 'vecron-test-porting' });
    app = await startTestApi(cfg);
    db = new Database({ connectionString: url, poolSize: 2 });
    variables = new VariablesRepository(db, new SecretCipher(parseEncryptionKeys(KEYS), 'k1'));
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  async function createWithVariables(name: string): Promise<string> {
    const { body: job } = await http().post('/api/jobs').send(jobWithSecrets(name)).expect(201);
    await http().post('/api/variables').send({ name: 'API_KEY', value: SECRETS.SENSITIVE, is_sensitive: true, job_id: job.id }).expect(201);
    await http().post('/api/variables').send({ name: 'REGION', value: 'vn', job_id: job.id }).expect(201);
    return job.id as string;
  }

  it('exports a job as job-{name}-{timestamp}.json with metadata, no secret in it; import with the secrets gives the same job back', async () => {
    const name = uniqueName('roundtrip');
    const id = await createWithVariables(name);
    const res = await http().get(`/api/jobs/${id}/export`).expect(200);
    expect(res.headers['content-disposition']).toMatch(new RegExp(`^attachment; filename="job-${name}-\\d{8}T\\d{6}Z\\.json"$`));
    const file = res.body as Json;
    expect(file).toMatchObject({ format_version: 1, exported_by: 'admin', system_version: expect.any(String), export_date: expect.any(String) });
    // Scan: no secret value anywhere in the file.
    const text = JSON.stringify(file);
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    expect(text).not.toContain('db-pass-9876');
    expect((file['secrets'] as { name: string }[]).map((s) => s.name).sort()).toEqual(['API_KEY', 'CALL_AUTH_PASSWORD', 'CALL_HEADERS_AUTHORIZATION', 'LOAD_CONNECTION_STRING']);
    expect(file['variables']).toEqual([
      { name: 'API_KEY', value: '${SECRET:API_KEY}', is_sensitive: true },
      { name: 'REGION', value: 'vn', is_sensitive: false },
    ]);

    // Without the values: refused, every missing placeholder named, nothing created.
    const refused = await http().post('/api/jobs/import').send({ definitions: [file] }).expect(200);
    expect(refused.body).toMatchObject({ created: 0, failed: 1 });
    expect(refused.body.results[0].errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'definition.steps[0].config.auth.password', 'definition.steps[0].config.headers.Authorization', 'definition.steps[1].config.connection_string', 'variables[0].value',
    ]);
    expect((await db.query('select count(*)::int as n from jobs where name like $1', [`${name}%`])).rows[0].n).toBe(1);

    const secrets = { API_KEY: SECRETS.SENSITIVE, CALL_AUTH_PASSWORD: SECRETS.PASSWORD, CALL_HEADERS_AUTHORIZATION: `Bearer ${SECRETS.TOKEN}`, LOAD_CONNECTION_STRING: SECRETS.CONN };
    const imported = await http().post('/api/jobs/import').send({ definitions: [file], secrets }).expect(200);
    expect(imported.body).toMatchObject({ created: 1, failed: 0 });
    const result = imported.body.results[0];
    expect(result).toMatchObject({ status: 'created', name: `${name}-copy-1`, renamed_from: name, variables: 2 });

    const original = (await http().get(`/api/jobs/${id}`).expect(200)).body.definition as Json;
    const copy = (await http().get(`/api/jobs/${result.id}`).expect(200)).body.definition as Json;
    expect({ ...copy, name }).toEqual(original);
    const vars = await variables.resolveForJob(result.id);
    expect(vars.values).toMatchObject({ API_KEY: SECRETS.SENSITIVE, REGION: 'vn' });
    expect([...vars.sensitive]).toEqual(['API_KEY']);

    // A second import of the same file gets the next suffix.
    const again = await http().post('/api/jobs/import').send({ definitions: [file], secrets }).expect(200);
    expect(again.body.results[0]).toMatchObject({ status: 'created', name: `${name}-copy-2` });
  });

  it('bulk JSON export is an array; a multipart upload of it with a broken document imports the others', async () => {
    const a = uniqueName('bulk-a');
    const b = uniqueName('bulk-b');
    const idA = (await http().post('/api/jobs').send({ name: a, steps: [{ id: 's', name: 'S', type: 'http', config: { method: 'GET', url: 'https://example.com' } }] }).expect(201)).body.id;
    const idB = (await http().post('/api/jobs').send({ name: b, steps: [{ id: 's', name: 'S', type: 'http', config: { method: 'GET', url: 'https://example.com/b' } }] }).expect(201)).body.id;
    const res = await http().post('/api/jobs/export').send({ ids: [idA, idB], format: 'json' }).buffer(true).parse((r, cb) => {
      let data = '';
      r.on('data', (c: Buffer) => (data += c.toString()));
      r.on('end', () => cb(null, data));
    }).expect(200);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="jobs-\d{8}T\d{6}Z\.json"$/);
    const files = JSON.parse(res.body as string) as Json[];
    expect(files.map((f) => (f['definition'] as Json)['name'])).toEqual([a, b]);

    const broken = { name: '', steps: [{ id: 's', name: 'S', type: 'http', config: { method: 'FETCH', url: 'ftp://x' } }] };
    const batch = [files[0], broken, files[1]];
    const up = await http()
      .post('/api/jobs/import')
      .attach('file', Buffer.from(JSON.stringify(batch)), 'batch.json')
      .attach('file', Buffer.from('{not json'), 'bad.json')
      .expect(200);
    expect(up.body).toMatchObject({ created: 2, failed: 2 });
    expect(up.body.results.map((r: { source: string; status: string }) => [r.source, r.status])).toEqual([
      ['batch.json[0]', 'created'], ['batch.json[1]', 'failed'], ['batch.json[2]', 'created'], ['bad.json', 'failed'],
    ]);
    expect(up.body.results[1].errors).toEqual(expect.arrayContaining([
      { path: 'name', message: expect.any(String) },
      { path: 'steps[0].config.method', message: expect.stringContaining('must be one of') },
      { path: 'steps[0].config.url', message: expect.any(String) },
    ]));
    expect(up.body.results[3].errors[0].message).toMatch(/^not valid JSON/);
  });

  it('accepts the legacy dialect on POST /api/jobs and on import, with warnings', async () => {
    const legacy = {
      name: uniqueName('legacy'),
      notes: 'from the old system',
      steps: [
        { id: 'call', name: 'Call', type: 'http_request', method: 'GET', url: 'https://example.com/x', headers: { 'X-A': '1' } },
        { id: 'old', name: 'Old', type: { method: 'POST', url: 'https://example.com/y', body: { a: 1 } } },
        { id: 'get', name: 'Get', type: 'sftp', config: { operation: 'download', host: 'sftp.example.com', auth: { type: 'password', username: 'u', password: '${SFTP_PW}' }, remote_path: '/in', verify_host_key: true, timeout_seconds: 300, options: { streaming: true } } },
      ],
    };
    const created = await http().post('/api/jobs').send(legacy).expect(201);
    expect(created.body.definition.steps.map((s: { type: string }) => s.type)).toEqual(['http', 'http', 'sftp']);
    expect(created.body.definition.notes).toEqual(['from the old system']);
    expect(created.body.warnings).toEqual(expect.arrayContaining([
      { path: 'notes', message: 'one note read as a list of one note' },
      { path: 'steps[0].type', message: '"http_request" read as "http"' },
      { path: 'steps[1].type', message: 'an object holding the request read as type "http" with its fields in config' },
      { path: 'steps[2].config.verify_host_key', message: 'read as config.options.verify_host_key' },
    ]));
    const imported = await http().post('/api/jobs/import').send({ definitions: [legacy] }).expect(200);
    expect(imported.body.results[0]).toMatchObject({ status: 'created', warnings: created.body.warnings });
  });

  it('a job is imported whole or not at all: a variable that cannot be stored leaves no job, no definition', async () => {
    const url = await freshTestDatabase('vecron_test_porting_nokey');
    const noKeys = await startTestApi(testApiConfig({ DATABASE_URL: url, S3_BUCKET: 'vecron-test-porting' }));
    const other = new Database({ connectionString: url, poolSize: 1 });
    try {
      const name = uniqueName('atomic');
      const file = { format_version: 1, definition: { name, steps: [{ id: 's', name: 'S', type: 'http', config: { method: 'GET', url: 'https://example.com' } }] }, variables: [{ name: 'K', value: '${SECRET:K}', is_sensitive: true }] };
      const res = await api(noKeys).post('/api/jobs/import').send({ definitions: [file], secrets: { K: 'v' } }).expect(200);
      expect(res.body.results[0]).toMatchObject({ status: 'failed', errors: [{ path: 'variables', message: expect.stringContaining('no encryption key') }] });
      expect((await other.query('select count(*)::int as n from jobs')).rows[0].n).toBe(0);
    } finally {
      await noKeys.close();
      await other.close();
    }
  });

  it('refuses a malformed request as a whole (400)', async () => {
    await http().post('/api/jobs/import').send({ definitions: 'x' }).expect(400);
    await http().post('/api/jobs/import').send({ definitions: [], extra: 1 }).expect(400);
    await http().post('/api/jobs/import').send({ definitions: [{}], secrets: { A: 1 } }).expect(400);
    await http().post('/api/jobs/export').send({ format: 'tar' }).expect(400);
    await http().post('/api/jobs/export').send({ ids: ['00000000-0000-4000-8000-000000000000'] }).expect(404);
  });
});

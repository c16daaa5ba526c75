import type { INestApplication } from '@nestjs/common';
import { Database, JobsRepository } from '@vecron/db';
import { ExecutorRegistry, StepConfigError, validateStepConfig } from '@vecron/executors';
import { MinioObjectStorage, OBJECT_STORAGE, StorageUnavailableError, type ObjectStorage } from '@vecron/storage';
import { api, startTestApi, testApiConfig } from './api-test-app';
import { cronJob, uniqueName } from './fixtures';

function storageFor(bucket: string): MinioObjectStorage {
  const cfg = testApiConfig();
  return new MinioObjectStorage({
    endPoint: cfg.S3_ENDPOINT, port: cfg.S3_PORT, useSSL: false, accessKey: cfg.S3_ACCESS_KEY, secretKey: cfg.S3_SECRET_KEY, bucket,
  });
}

describe('job API (real PostgreSQL + S3)', () => {
  let app: INestApplication;
  let storage: MinioObjectStorage;
  let db: Database;
  const http = () => api(app);

  beforeAll(async () => {
    app = await startTestApi();
    storage = storageFor(testApiConfig().S3_BUCKET);
    db = new Database({ connectionString: testApiConfig().DATABASE_URL, poolSize: 2 });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('creates a job: 201, definition in S3 (latest + version 1), metadata and path in PostgreSQL', async () => {
    const name = uniqueName('create');
    const res = await http().post('/api/jobs').send(cronJob(name)).expect(201);
    expect(res.body).toMatchObject({ name, enabled: true, version: 1, schedule_type: 'cron', timezone: 'Asia/Ho_Chi_Minh' });
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.definition_path).toBe(`jobs/${res.body.id}/definition.json`);
    expect(res.body.definition).toMatchObject({ timeout_seconds: 300, max_retries: 10, allow_concurrent: false, enabled: true });
    expect(new Date(res.body.next_run_at).getTime()).toBeGreaterThan(Date.now());
    // 01:00 in Ho Chi Minh City (UTC+7) is 18:00 UTC.
    expect(new Date(res.body.next_run_at).getUTCHours()).toBe(18);

    const stored = JSON.parse((await storage.get(`jobs/${res.body.id}/definition.json`)).toString());
    expect(stored.name).toBe(name);
    expect(await storage.exists(`jobs/${res.body.id}/versions/1.json`)).toBe(true);
    const row = await db.query('select * from jobs where id=$1', [res.body.id]);
    expect(row.rows[0].definition_path).toBe(`jobs/${res.body.id}/definition.json`);
    expect(Object.keys(row.rows[0])).not.toContain('definition');
  });

  it('rejects an invalid definition with every wrong field by path, and stores nothing', async () => {
    const name = uniqueName('invalid');
    const body = cronJob(name, {
      schedule: { type: 'cron', expression: '0 0 25 * * ?' },
      steps: [{ id: 'a', name: 'A', type: 'http', config: { method: 'FETCH', url: 'http://x' } }],
    });
    const res = await http().post('/api/jobs').send(body).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    const paths = res.body.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['schedule.expression', 'steps[0].config.method']));
    const method = res.body.details.find((d: { path: string }) => d.path === 'steps[0].config.method');
    expect(method.message).toContain('must be one of GET, POST, PUT, PATCH, DELETE');
    const list = await http().get('/api/jobs').query({ name }).expect(200);
    expect(list.body.total).toBe(0);
  });

  it('answers the HTTP drift cases at save exactly as the executor does at run, and stores nothing', async () => {
    const registry = app.get(ExecutorRegistry);
    const cases: [Record<string, unknown>, string][] = [
      [{ method: 'GET', url: 'https://example.com', timeout_seconds: 86_400 }, 'timeout_seconds'],
      [{ method: 'GET', url: 'https://example.com', body: { a: 1 } }, 'body'],
      [{ method: 'GET', url: 'https://user:pw@example.com/' }, 'url'],
    ];
    for (const [config, field] of cases) {
      const name = uniqueName('drift');
      const res = await http().post('/api/jobs').send(cronJob(name, { steps: [{ id: 'a', name: 'A', type: 'http', config }] })).expect(400);
      let atRun: unknown;
      try {
        validateStepConfig(registry.get('http'), config);
      } catch (err) {
        atRun = err;
      }
      expect(atRun).toBeInstanceOf(StepConfigError);
      const issues = (atRun as StepConfigError).issues;
      expect(issues.map((i) => i.path)).toEqual([`config.${field}`]);
      expect(res.body.details).toEqual(issues.map((i) => ({ path: `steps[0].${i.path}`, message: i.message })));
      expect((await http().get('/api/jobs').query({ name }).expect(200)).body.total).toBe(0);
    }
  });

  it('accepts a template in any step-config field and stores the config as submitted', async () => {
    const config = { method: '${METHOD}', url: '{{webhook.payload.url}}', headers: '${HEADERS}', body: '{{webhook.payload}}', auth: '${AUTH}', timeout_seconds: '${T}' };
    const res = await http().post('/api/jobs').send(cronJob(uniqueName('tpl'), { steps: [{ id: 'a', name: 'A', type: 'http', config }] })).expect(201);
    expect(res.body.definition.steps[0].config).toEqual(config);
  });

  it('answers an unknown step type with the registered ones', async () => {
    const res = await http().post('/api/jobs').send(cronJob(uniqueName('ftp'), { steps: [{ id: 'a', name: 'A', type: 'ftp', config: {} }] })).expect(400);
    const types = app.get(ExecutorRegistry).types();
    expect(res.body.details).toEqual([{ path: 'steps[0].type', message: `must be one of ${types.join(', ')} (the registered step types)` }]);
  });

  it('serves the job-definition JSON Schema with every registered step type, and uses it as the jobs request body in OpenAPI', async () => {
    const types = app.get(ExecutorRegistry).types();
    expect(types).toContain('http');
    const res = await http().get('/api/schema/job-definition').expect(200);
    const schema = res.body;
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'steps']));
    expect(schema.$defs.StepDefinition.properties.type.enum).toEqual(types);
    const branches = schema.$defs.StepDefinition.allOf.map((b: { if: { properties: { type: { const: string } } } }) => b.if.properties.type.const);
    expect(branches).toEqual(types);
    expect(schema.$defs.HttpStepConfig.properties.method.anyOf[0].enum).toEqual(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

    const doc = (await http().get('/api/docs/openapi.json').expect(200)).body;
    expect(doc.openapi).toBe('3.1.0');
    for (const [path, method] of [['/api/jobs', 'post'], ['/api/jobs/{id}', 'put']] as const) {
      expect(doc.paths[path][method].requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/JobDefinition' });
    }
    expect(doc.components.schemas.JobDefinition.properties.steps).toMatchObject({ type: 'array', items: { $ref: '#/components/schemas/StepDefinition' } });
    expect(doc.components.schemas.StepDefinition.properties.type.enum).toEqual(types);
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(Object.keys(schema.$defs)));
  });

  it('rejects a one_time schedule in the past', async () => {
    const res = await http().post('/api/jobs').send(cronJob(uniqueName('past'), { schedule: { type: 'one_time', execute_at: '2020-01-01T00:00:00Z' } })).expect(400);
    expect(res.body.details).toEqual([{ path: 'schedule.execute_at', message: 'must be in the future' }]);
  });

  it('answers malformed JSON with a 400 in the error format', async () => {
    const res = await http().post('/api/jobs').set('content-type', 'application/json').send('{"name": ').expect(400);
    expect(res.body.statusCode).toBe(400);
    expect(typeof res.body.message).toBe('string');
  });

  it('lists with pagination and filters by name and enabled', async () => {
    const prefix = uniqueName('list');
    for (let i = 0; i < 3; i++) await http().post('/api/jobs').send(cronJob(`${prefix}-${i}`)).expect(201);
    await http().post('/api/jobs').send(cronJob(`${prefix}-off`, { enabled: false })).expect(201);

    const page1 = await http().get('/api/jobs').query({ name: prefix, page: 1, page_size: 2 }).expect(200);
    expect(page1.body).toMatchObject({ total: 4, page: 1, page_size: 2 });
    expect(page1.body.items).toHaveLength(2);
    const page2 = await http().get('/api/jobs').query({ name: prefix, page: 2, page_size: 2 }).expect(200);
    expect(page2.body.items).toHaveLength(2);
    const ids = new Set([...page1.body.items, ...page2.body.items].map((j: { id: string }) => j.id));
    expect(ids.size).toBe(4);

    const disabled = await http().get('/api/jobs').query({ name: prefix, enabled: 'false' }).expect(200);
    expect(disabled.body.items.map((j: { name: string }) => j.name)).toEqual([`${prefix}-off`]);
    expect(disabled.body.items[0]).not.toHaveProperty('definition');
    const bad = await http().get('/api/jobs').query({ page_size: 1000 }).expect(400);
    expect(bad.body.details[0].path).toBe('page_size');
  });

  it('gets one job with its definition; unknown or malformed ids are 404', async () => {
    const created = await http().post('/api/jobs').send(cronJob(uniqueName('get'))).expect(201);
    const res = await http().get(`/api/jobs/${created.body.id}`).expect(200);
    expect(res.body.definition.steps[0].id).toBe('fetch');
    await http().get('/api/jobs/00000000-0000-4000-8000-000000000000').expect(404);
    const bad = await http().get('/api/jobs/not-a-uuid').expect(404);
    expect(bad.body.statusCode).toBe(404);
  });

  it('updates into a new version and keeps the old one; a rejected update changes nothing', async () => {
    const created = await http().post('/api/jobs').send(cronJob(uniqueName('put'))).expect(201);
    const id = created.body.id as string;
    const newName = uniqueName('put-v2');
    const upd = await http().put(`/api/jobs/${id}`).send(cronJob(newName, { schedule: { type: 'fixed_rate', interval_seconds: 60 } })).expect(200);
    expect(upd.body).toMatchObject({ id, name: newName, version: 2, schedule_type: 'fixed_rate' });
    expect(JSON.parse((await storage.get(`jobs/${id}/versions/1.json`)).toString()).schedule.type).toBe('cron');
    expect(JSON.parse((await storage.get(`jobs/${id}/versions/2.json`)).toString()).name).toBe(newName);

    await http().put(`/api/jobs/${id}`).send({ name: '' }).expect(400);
    const after = await http().get(`/api/jobs/${id}`).expect(200);
    expect(after.body).toMatchObject({ name: newName, version: 2 });
    expect(await storage.exists(`jobs/${id}/versions/3.json`)).toBe(false);
    await http().put('/api/jobs/00000000-0000-4000-8000-000000000000').send(cronJob('x')).expect(404);
  });

  it('deletes: 204, then 404; the definition history stays in storage', async () => {
    const created = await http().post('/api/jobs').send(cronJob(uniqueName('del'))).expect(201);
    await http().delete(`/api/jobs/${created.body.id}`).expect(204);
    await http().get(`/api/jobs/${created.body.id}`).expect(404);
    await http().delete(`/api/jobs/${created.body.id}`).expect(404);
    expect(await storage.exists(`jobs/${created.body.id}/versions/1.json`)).toBe(true);
  });

  it('disables and enables', async () => {
    const created = await http().post('/api/jobs').send(cronJob(uniqueName('toggle'))).expect(201);
    const off = await http().post(`/api/jobs/${created.body.id}/disable`).expect(200);
    expect(off.body.enabled).toBe(false);
    const on = await http().post(`/api/jobs/${created.body.id}/enable`).expect(200);
    expect(on.body.enabled).toBe(true);
    expect(on.body.next_run_at).not.toBeNull();
    await http().post('/api/jobs/00000000-0000-4000-8000-000000000000/enable').expect(404);
  });

  it('reports PostgreSQL, Redis and S3 separately on /health and serves OpenAPI', async () => {
    const res = await http().get('/health').expect(200);
    expect(res.body.status).toBe('ok');
    for (const c of ['postgresql', 'redis', 's3']) expect(res.body.components[c].status).toBe('up');
    const doc = await http().get('/api/docs/openapi.json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/jobs', '/api/jobs/{id}', '/health']));
    await http().get('/api/docs').expect(200);
  });
});

/** Storage that fails writes to chosen keys, delegating everything else to the real S3 endpoint. */
class FlakyStorage implements ObjectStorage {
  constructor(private readonly real: ObjectStorage, private readonly failPut: (key: string) => boolean) {}
  put: ObjectStorage['put'] = (key, body, o) => (this.failPut(key) ? Promise.reject(new StorageUnavailableError('injected failure')) : this.real.put(key, body, o));
  putStream: ObjectStorage['putStream'] = (k, b, o) => this.real.putStream(k, b, o);
  get: ObjectStorage['get'] = (k) => this.real.get(k);
  getStream: ObjectStorage['getStream'] = (k) => this.real.getStream(k);
  stat: ObjectStorage['stat'] = (k) => this.real.stat(k);
  exists: ObjectStorage['exists'] = (k) => this.real.exists(k);
  list: ObjectStorage['list'] = (p) => this.real.list(p);
  delete: ObjectStorage['delete'] = (k) => this.real.delete(k);
  deletePrefix: ObjectStorage['deletePrefix'] = (p) => this.real.deletePrefix(p);
  ping: ObjectStorage['ping'] = () => this.real.ping();
}

describe('job API when a store fails', () => {
  it('a failed storage write on create leaves no row and no object behind', async () => {
    const bucket = 'vecron-test-api-s3fail';
    const real = storageFor(bucket);
    await real.ensureBucket();
    const app = await startTestApi(testApiConfig({ S3_BUCKET: bucket }), (b) =>
      b.overrideProvider(OBJECT_STORAGE).useValue(new FlakyStorage(real, (k) => k.endsWith('/definition.json'))),
    );
    try {
      const name = uniqueName('s3fail');
      const res = await api(app).post('/api/jobs').send(cronJob(name)).expect(503);
      expect(res.body.message).toContain('object storage');
      const list = await api(app).get('/api/jobs').query({ name }).expect(200);
      expect(list.body.total).toBe(0);
      const before = await real.list('jobs/');
      const orphans = [];
      for (const o of before) {
        const id = o.key.split('/')[1]!;
        const r = await api(app).get(`/api/jobs/${id}`);
        if (r.status === 404) orphans.push(o.key);
      }
      expect(orphans).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('a failed database write on create leaves nothing in storage and nothing served', async () => {
    const bucket = 'vecron-test-api-dbfail';
    const real = storageFor(bucket);
    await real.ensureBucket();
    await real.deletePrefix('jobs/');
    class FailingCommitDatabase extends Database {
      override transaction<T>(fn: Parameters<Database['transaction']>[0]): Promise<T> {
        return super.transaction(async (tx) => {
          await fn(tx);
          throw new Error('injected commit failure');
        });
      }
    }
    const cfg = testApiConfig({ S3_BUCKET: bucket });
    const failingDb = new FailingCommitDatabase({ connectionString: cfg.DATABASE_URL, poolSize: 2 });
    const app = await startTestApi(cfg, (b) =>
      b.overrideProvider(Database).useValue(failingDb).overrideProvider(JobsRepository).useValue(new JobsRepository(failingDb)),
    );
    try {
      const name = uniqueName('dbfail');
      await api(app).post('/api/jobs').send(cronJob(name)).expect(500);
      expect(await real.list('jobs/')).toEqual([]);
      const list = await api(app).get('/api/jobs').query({ name }).expect(200);
      expect(list.body.total).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('a failed storage write on update keeps serving the previous version', async () => {
    const bucket = 'vecron-test-api-s3fail';
    const real = storageFor(bucket);
    let failing = false;
    const app = await startTestApi(testApiConfig({ S3_BUCKET: bucket }), (b) =>
      b.overrideProvider(OBJECT_STORAGE).useValue(new FlakyStorage(real, (k) => failing && k.endsWith('/definition.json'))),
    );
    try {
      const name = uniqueName('updfail');
      const created = await api(app).post('/api/jobs').send(cronJob(name)).expect(201);
      failing = true;
      await api(app).put(`/api/jobs/${created.body.id}`).send(cronJob(`${name}-v2`)).expect(503);
      const after = await api(app).get(`/api/jobs/${created.body.id}`).expect(200);
      expect(after.body).toMatchObject({ name, version: 1 });
      expect(after.body.definition.name).toBe(name);
    } finally {
      await app.close();
    }
  });
});

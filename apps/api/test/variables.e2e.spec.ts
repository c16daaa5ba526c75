import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'crypto';
import { Database } from '@vecron/db';
import { api, freshTestDatabase, startTestApi, testApiConfig } from './api-test-app';
import { cronJob, uniqueName } from './fixtures';

const KEYS = `test1:${randomBytes(32).toString('base64')}`;

describe('variables API (real PostgreSQL)', () => {
  let app: INestApplication;
  let db: Database;
  const http = () => api(app);
  let url: string;
  let cfg: ReturnType<typeof testApiConfig>;

  beforeAll(async () => {
    // Its own database: the start-up key check looks at every sensitive value in it.
    url = await freshTestDatabase('vecron_test_variables');
    cfg = testApiConfig({ DATABASE_URL: url, VARIABLES_ENCRYPTION_KEYS: KEYS });
    app = await startTestApi(cfg);
    db = new Database({ connectionString: url, poolSize: 2 });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('refuses a sensitive value when no key is configured', async () => {
    const noKeys = await startTestApi(testApiConfig({ DATABASE_URL: url }));
    try {
      const r = await api(noKeys).post('/api/variables').send({ name: 'NOKEY_X', value: 's', is_sensitive: true }).expect(409);
      expect(r.body.message).toContain('no encryption key is configured');
    } finally {
      await noKeys.close();
    }
  });

  it('creates global and job-scoped variables; names are unique per scope', async () => {
    const name = uniqueName('V').replace(/-/g, '_');
    const g = await http().post('/api/variables').send({ name, value: 'g' }).expect(201);
    expect(g.body).toMatchObject({ name, value: 'g', is_sensitive: false, job_id: null });
    await http().post('/api/variables').send({ name, value: 'again' }).expect(409);
    const job = await http().post('/api/jobs').send(cronJob(uniqueName('varjob'))).expect(201);
    const j = await http().post('/api/variables').send({ name, value: 'j', job_id: job.body.id }).expect(201);
    expect(j.body.job_id).toBe(job.body.id);
    const scoped = await http().get('/api/variables').query({ job_id: job.body.id }).expect(200);
    expect(scoped.body.items.map((v: { value: string }) => v.value)).toEqual(['j']);
    const globals = await http().get('/api/variables').query({ scope: 'global', page_size: 200 }).expect(200);
    expect(globals.body.items.every((v: { job_id: string | null }) => v.job_id === null)).toBe(true);
  });

  it('validates names, values and job ids with paths', async () => {
    const r = await http().post('/api/variables').send({ name: '1bad-name', value: 5, job_id: 'nope' }).expect(400);
    const paths = r.body.details.map((d: { path: string }) => d.path).sort();
    expect(paths).toEqual(expect.arrayContaining(['job_id', 'name', 'value']));
    expect(r.body.details.find((d: { path: string }) => d.path === 'name').message).toContain('[A-Za-z_][A-Za-z0-9_]*');
    const missingJob = await http().post('/api/variables').send({ name: 'X', value: 'v', job_id: '00000000-0000-4000-8000-000000000000' }).expect(400);
    expect(missingJob.body.details[0]).toEqual({ path: 'job_id', message: 'job 00000000-0000-4000-8000-000000000000 not found' });
  });

  it('never returns a sensitive value in clear and stores it only encrypted', async () => {
    const name = uniqueName('S').replace(/-/g, '_');
    const secret = `top-${randomBytes(8).toString('hex')}`;
    const created = await http().post('/api/variables').send({ name, value: secret, is_sensitive: true }).expect(201);
    expect(created.body.value).toBe('******');
    const list = await http().get('/api/variables').query({ page_size: 200 }).expect(200);
    expect(JSON.stringify(list.body)).not.toContain(secret);
    const row = await db.query('select * from variables where id=$1', [created.body.id]);
    expect(JSON.stringify(row.rows)).not.toContain(secret);
    expect(row.rows[0].key_id).toBe('test1');
    // Renaming keeps the encrypted value; turning it non-sensitive needs a new value.
    const renamed = await http().put(`/api/variables/${created.body.id}`).send({ name: `${name}_2` }).expect(200);
    expect(renamed.body).toMatchObject({ name: `${name}_2`, value: '******', is_sensitive: true });
    await http().put(`/api/variables/${created.body.id}`).send({ is_sensitive: false }).expect(400);
    const plain = await http().put(`/api/variables/${created.body.id}`).send({ is_sensitive: false, value: 'public' }).expect(200);
    expect(plain.body.value).toBe('public');
  });

  it('updates and deletes; unknown ids are 404', async () => {
    const v = await http().post('/api/variables').send({ name: uniqueName('U').replace(/-/g, '_'), value: 'a' }).expect(201);
    const u = await http().put(`/api/variables/${v.body.id}`).send({ value: 'b' }).expect(200);
    expect(u.body.value).toBe('b');
    await http().delete(`/api/variables/${v.body.id}`).expect(204);
    await http().delete(`/api/variables/${v.body.id}`).expect(404);
    await http().put('/api/variables/00000000-0000-4000-8000-000000000000').send({ value: 'x' }).expect(404);
  });


  it('a process without keys refuses to start while sensitive values exist', async () => {
    await http().post('/api/variables').send({ name: 'STILL_SECRET', value: 'x', is_sensitive: true }).expect(201);
    await expect(startTestApi(testApiConfig({ DATABASE_URL: url }))).rejects.toThrow('sensitive variable(s) are stored but no encryption key is configured');
  });
});

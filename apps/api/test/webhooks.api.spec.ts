import type { INestApplication } from '@nestjs/common';
import { api, startTestApi } from './api-test-app';
import { cronJob, uniqueName } from './fixtures';

/** The api in-process without encryption keys (testApiConfig sets none). */
describe('webhook definitions through the job API (real PostgreSQL + S3)', () => {
  let app: INestApplication;
  const http = () => api(app);

  beforeAll(async () => {
    app = await startTestApi();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('without an encryption key, a webhook cannot be created: 409, and no job is left behind', async () => {
    const name = uniqueName('no-key');
    const res = await http().post('/api/jobs').send(cronJob(name, { triggers: { scheduled: true, webhook: { enabled: true } } })).expect(409);
    expect(res.body.message).toMatch(/cannot store the webhook secret: no encryption key is configured/);
    const list = await http().get(`/api/jobs?name=${name}`).expect(200);
    expect(list.body.total).toBe(0);
  });

  it('a disabled webhook block without a secret needs no key and has no URL yet', async () => {
    const res = await http().post('/api/jobs').send(cronJob(uniqueName('off'), { triggers: { scheduled: true, webhook: { enabled: false } } })).expect(201);
    expect(res.body.webhook).toBeNull();
    expect(res.body.definition.triggers.webhook).toEqual({ enabled: false });
  });

  it('reports bad forward_headers together with the validator’s own errors', async () => {
    const res = await http()
      .post('/api/jobs')
      .send(cronJob(uniqueName('bad'), { triggers: { webhook: { enabled: true, secret_key: 'short', forward_headers: ['ok', 'not a header'] } } }))
      .expect(400);
    const paths = res.body.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['triggers.webhook.secret_key', 'triggers.webhook.forward_headers']));
    expect(JSON.stringify(res.body)).not.toContain('whsec_');
  });

  it('documents the webhook endpoints in OpenAPI', async () => {
    const doc = await http().get('/api/docs/openapi.json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/webhooks/{key}', '/api/webhooks', '/api/jobs/{id}/webhook/regenerate']));
    expect(Object.keys(doc.body.paths['/webhooks/{key}'].post.responses)).toEqual(expect.arrayContaining(['202', '401', '403', '404', '409', '413', '429']));
  });
});

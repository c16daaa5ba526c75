import { createHmac, randomBytes } from 'crypto';
import { getQueueToken } from '@nestjs/bull';
import type { INestApplication } from '@nestjs/common';
import type { Queue } from 'bull';
import request from 'supertest';
import { Database, ExecutionLogsRepository, ExecutionsRepository } from '@vecron/db';
import { EXECUTIONS_QUEUE, type ExecutionJobData } from '@vecron/queue';
import { InMemorySpanExporter, SimpleSpanProcessor, startTracing, type TracingHandle } from '@vecron/telemetry';
import { api, freshTestDatabase, startTestApi, testApiConfig } from './api-test-app';
import { cronJob, uniqueName } from './fixtures';

describe('api observability: /metrics, execution logs, request spans carried into the queue', () => {
  let app: INestApplication;
  let db: Database;
  let tracing: TracingHandle;
  const exporter = new InMemorySpanExporter();
  /** Anonymous. */
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    tracing = startTracing({ serviceName: 'vecron-api-test', env: {}, spanProcessors: [new SimpleSpanProcessor(exporter)] })!;
    const config = testApiConfig({
      DATABASE_URL: await freshTestDatabase('vecron_test_api_observe'),
      QUEUE_PREFIX: `vecron-test-observe-${Date.now().toString(36)}`,
      VARIABLES_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    });
    app = await startTestApi(config);
    db = new Database({ connectionString: config.DATABASE_URL, poolSize: 2 });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
    await tracing?.shutdown();
  });

  async function createJob(): Promise<string> {
    const res = await api(app).post('/api/jobs').send(cronJob(uniqueName('observe'), { allow_concurrent: true })).expect(201);
    return res.body.id as string;
  }

  it('a manual trigger runs in a server span (child of the caller\'s traceparent) whose context travels in the Bull job', async () => {
    const jobId = await createJob();
    exporter.reset();
    const clientTrace = '0af7651916cd43dd8448eb211c80319c';
    const clientSpan = 'b7ad6b7169203331';
    const res = await api(app).post(`/api/jobs/${jobId}/trigger`).set('traceparent', `00-${clientTrace}-${clientSpan}-01`).send({}).expect(202);
    const executionId = res.body.execution_id as string;
    const span = exporter.getFinishedSpans().find((s) => s.name === 'POST /api/jobs/:id/trigger');
    expect(span).toBeDefined();
    expect(span!.spanContext().traceId).toBe(clientTrace);
    expect(span!.parentSpanContext?.spanId).toBe(clientSpan);
    expect(span!.attributes['http.response.status_code']).toBe(202);
    const queue = app.get<Queue<ExecutionJobData>>(getQueueToken(EXECUTIONS_QUEUE));
    const job = await queue.getJob(executionId);
    expect(job?.data.trace?.traceparent).toBe(`00-${clientTrace}-${span!.spanContext().spanId}-01`);
  });

  it('a webhook trigger carries its span into the Bull job too; webhook answers are counted by status', async () => {
    const secret = 'observe-webhook-secret-1';
    const res = await api(app).post('/api/jobs').send(cronJob(uniqueName('hook'), { allow_concurrent: true, triggers: { scheduled: false, manual: true, webhook: { enabled: true, secret_key: secret } } })).expect(201);
    const path = new URL(res.body.webhook.url as string, 'http://x').pathname;
    exporter.reset();
    const body = '{"order":1}';
    const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const ok = await http().post(path).set('content-type', 'application/json').set('x-webhook-signature', signature).send(body).expect(202);
    await http().post(path).set('content-type', 'application/json').set('x-webhook-signature', 'sha256=00').send(body).expect(401);
    const span = exporter.getFinishedSpans().find((s) => s.attributes['http.response.status_code'] === 202);
    expect(span?.name).toBe('POST /webhooks/:key');
    const queue = app.get<Queue<ExecutionJobData>>(getQueueToken(EXECUTIONS_QUEUE));
    const job = await queue.getJob(ok.body.execution_id as string);
    expect(job?.data.trace?.traceparent).toBe(`00-${span!.spanContext().traceId}-${span!.spanContext().spanId}-01`);
    const metrics = (await http().get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/^vecron_webhook_calls_total\{status="202"\} 1$/m);
    expect(metrics).toMatch(/^vecron_webhook_calls_total\{status="401"\} 1$/m);
    expect(metrics).toMatch(/^vecron_api_triggers_total\{trigger_source="webhook"\} 1$/m);
  });

  it('GET /metrics: open (no token), Prometheus text with the queue by state, triggers and process metrics', async () => {
    const res = await http().get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/^job_queue_size\{state="delayed"\} \d+$/m);
    expect(res.text).toMatch(/^job_queue_size\{state="waiting"\} \d+$/m);
    expect(res.text).toMatch(/^vecron_api_triggers_total\{trigger_source="manual"\} [1-9]\d*$/m);
    expect(res.text).toContain('vecron_process_cpu_seconds_total');
  });

  it('GET /api/executions/:id/logs: 404 unknown or not a uuid, empty while running, the lines once written', async () => {
    await api(app).get('/api/executions/00000000-0000-4000-8000-000000000000/logs').expect(404);
    await api(app).get('/api/executions/nope/logs').expect(404);
    const jobId = await createJob();
    const { body } = await api(app).post(`/api/jobs/${jobId}/trigger`).send({}).expect(202);
    const id = body.execution_id as string;
    await http().get(`/api/executions/${id}/logs`).expect(401);
    const pending = await api(app).get(`/api/executions/${id}/logs`).expect(200);
    expect(pending.body).toEqual({ execution_id: id, status: 'pending', complete: false, items: [], total: 0, dropped_lines: 0 });

    const lines = [
      { time: '2026-01-01T00:00:00.000Z', level: 'info', msg: 'execution started', status: 'running', wait_ms: 3 },
      { time: '2026-01-01T00:00:00.100Z', level: 'info', msg: 'http request', step_id: 'fetch', status: 200 },
      { time: '2026-01-01T00:00:00.200Z', level: 'info', msg: 'execution finished', status: 'success', duration_ms: 200 },
    ];
    await new ExecutionsRepository(db).finish(id, 'success', null);
    await new ExecutionLogsRepository(db).insertMany([{ execution_id: id, job_id: jobId, lines, dropped: 2 }]);
    const done = await api(app).get(`/api/executions/${id}/logs`).expect(200);
    expect(done.body).toEqual({ execution_id: id, status: 'success', complete: true, items: lines, total: 3, dropped_lines: 2 });
  });

  it('documents the logs route in OpenAPI with its typed answer', async () => {
    const doc = (await http().get('/api/docs/openapi.json').expect(200)).body;
    const op = doc.paths['/api/executions/{id}/logs'].get;
    expect(op.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/ExecutionLogsResponse');
    expect(Object.keys(doc.components.schemas.ExecutionLogsResponse.properties)).toEqual(
      expect.arrayContaining(['execution_id', 'status', 'complete', 'items', 'total', 'dropped_lines']),
    );
    expect(doc.paths['/metrics']).toBeUndefined();
  });
});

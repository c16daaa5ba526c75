import { randomBytes } from 'crypto';
import type { ServerResponse } from 'http';
import { Client } from 'pg';
import type { Execution } from './support/api-client';
import { ApiClient } from './support/api-client';
import { HttpFixture, json } from './support/http-fixture';
import { freePort, startApp, type AppProcess } from './support/processes';
import { storageFor, waitFor } from './support/services';
import { TestSystem } from './support/system';
import { callWebhook, nowSeconds, type WebhookCall } from './support/webhook-client';

jest.setTimeout(180_000);

const KEYS = `e2e:${randomBytes(32).toString('base64')}`;

interface WebhookInfo {
  url: string;
  path: string;
  enabled: boolean;
  secret?: string;
}
interface CreatedJob {
  id: string;
  webhook: WebhookInfo | null;
  definition: Record<string, unknown>;
}

describe('webhook triggers end to end (two api processes, scheduler, worker)', () => {
  const sys = new TestSystem({ name: 'e2e_webhook', env: { VARIABLES_ENCRYPTION_KEYS: KEYS, WEBHOOK_BODY_LIMIT: '64kb' } });
  const fixture = new HttpFixture();
  let api2: AppProcess;
  let client2: ApiClient;
  let pg: Client;
  const held: ServerResponse[] = [];

  beforeAll(async () => {
    fixture
      .route('POST /notify', (req, res) => json(res, 200, { got: JSON.parse(req.body || 'null') }))
      // Answers only when the test releases it: keeps an execution running without sleeps.
      .route('POST /hold', (_req, res) => void held.push(res));
    await fixture.start();
    await sys.start();
    const port = await freePort();
    api2 = startApp('api', { ...sys.env, PORT: String(port), MIGRATE_ON_START: 'false' });
    client2 = new ApiClient(`http://127.0.0.1:${port}`);
    await waitFor(async () => (await fetch(`${client2.baseUrl}/health`)).ok, 30_000, 'second api health');
    pg = new Client({ connectionString: sys.env.DATABASE_URL });
    await pg.connect();
    // A busy machine can take long to start a process: the tests time executions, not start-up.
    await waitFor(async () => sys.workers[0]!.log.includes('worker taking executions'), 90_000, 'worker ready');
  });

  afterAll(async () => {
    for (const res of held) res.end();
    await Promise.all([sys.stop(), api2?.stop('SIGTERM')]);
    await fixture.stop();
    await pg?.end();
  });

  afterEach(() => {
    const failed = (expect.getState() as { suppressedErrors: unknown[] }).suppressedErrors.length > 0;
    if (failed) process.stderr.write(`${sys.logs()}\n--- api2\n${api2.log.slice(-3000)}`);
  });

  const api1 = () => sys.client;
  const call = (path: string, c: WebhookCall, client: ApiClient = api1()) => callWebhook(client.baseUrl, path, c);
  const countExecutions = async (jobId: string) => Number((await pg.query('select count(*) as n from job_executions where job_id=$1', [jobId])).rows[0].n);

  async function createJob(name: string, webhook: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<CreatedJob> {
    return api1().ok<CreatedJob>('POST', '/api/jobs', {
      name,
      schedule: null,
      triggers: { scheduled: false, manual: true, webhook },
      allow_concurrent: true,
      steps: [{ id: 'notify', name: 'notify', type: 'http', config: { method: 'POST', url: `${fixture.url}/notify`, body: { n: 1 } } }],
      ...extra,
    });
  }

  async function finished(executionId: string): Promise<Execution & { trigger_metadata: Record<string, unknown> }> {
    return waitFor(async () => {
      const e = await api1().ok<Execution & { trigger_metadata: Record<string, unknown> }>('GET', `/api/executions/${executionId}`);
      return ['success', 'failed', 'timeout', 'cancelled'].includes(e.status) ? e : null;
    }, 60_000, `execution ${executionId} to end`);
  }

  it('a signed request runs the job: the step reads the payload, a query parameter and a forwarded header', async () => {
    const job = await createJob('orders', { enabled: true, forward_headers: ['X-Partner-Id'] }, {
      steps: [{
        id: 'notify', name: 'notify', type: 'http',
        config: {
          method: 'POST', url: `${fixture.url}/notify?order={{webhook.payload.order_id}}`,
          body: { order: '{{webhook.payload.order_id}}', source: '{{webhook.query_params.source}}', partner: '{{webhook.headers.x-partner-id}}' },
        },
      }],
    });
    expect(job.webhook?.path).toMatch(/^\/webhooks\/[A-Za-z0-9_-]{22,}$/);
    const secret = job.webhook!.secret!;
    expect(secret).toMatch(/^whsec_/);

    // The secret is in no stored definition and in no GET.
    const stored = (await storageFor(sys.env.S3_BUCKET!).get(`jobs/${job.id}/definition.json`)).toString();
    expect(stored).not.toContain(secret);
    expect(JSON.parse(stored).triggers.webhook.forward_headers).toEqual(['x-partner-id']);
    const got = await api1().ok<CreatedJob>('GET', `/api/jobs/${job.id}`);
    expect(got.webhook).toMatchObject({ url: job.webhook!.url, enabled: true });
    expect(JSON.stringify(got)).not.toContain(secret);
    const list = await api1().ok<{ items: { job_id: string; url: string }[] }>('GET', '/api/webhooks');
    expect(list.items.find((i) => i.job_id === job.id)?.url).toBe(job.webhook!.url);
    expect(JSON.stringify(list)).not.toContain(secret);

    const body = JSON.stringify({ order_id: 'A-1001', amount: 42 });
    const r = await call(job.webhook!.path, { body, secret, timestamp: nowSeconds(), query: 'source=shop', headers: { 'x-partner-id': 'acme', 'x-other': 'not forwarded', 'x-request-id': 'req-e2e-1' } });
    expect(r.status).toBe(202);
    const e = await finished(r.body!.execution_id!);
    expect(e.status).toBe('success');
    expect(e.trigger_source).toBe('webhook');
    expect(e.trigger_metadata).toMatchObject({ request_id: 'req-e2e-1', remote_address: expect.stringMatching(/127\.0\.0\.1|::1/) });
    const sent = fixture.requestsTo('/notify').at(-1)!;
    expect(sent.url).toBe('/notify?order=A-1001');
    expect(JSON.parse(sent.body)).toEqual({ order: 'A-1001', source: 'shop', partner: 'acme' });
    const ctx = await api1().ok<{ webhook: { headers: Record<string, string>; query_params: Record<string, string> } }>('GET', `/api/executions/${e.id}/context`);
    expect(ctx.webhook.headers).toEqual({ 'x-partner-id': 'acme' });
    expect(ctx.webhook.query_params).toEqual({ source: 'shop' });

    const list2 = await api1().ok<{ items: { job_id: string; calls_24h: number; last_call_status: number }[] }>('GET', '/api/webhooks');
    expect(list2.items.find((i) => i.job_id === job.id)).toMatchObject({ calls_24h: 1, last_call_status: 202 });
  });

  it('answers each error status and starts nothing for any of them', async () => {
    const job = await createJob('errors', { enabled: true });
    const secret = job.webhook!.secret!;
    const path = job.webhook!.path;
    const body = '{"order_id":"E-1"}';

    expect((await call(path, { body })).status).toBe(401);
    const bad = await call(path, { body, secret: 'not-the-secret-at-all' });
    expect(bad.status).toBe(401);
    expect(bad.body?.message).toBe('missing or invalid signature');
    expect((await call(path, { body, secret, headers: { 'x-webhook-timestamp': 'yesterday' } })).status).toBe(401);
    expect((await call('/webhooks/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', { body, secret })).status).toBe(404);
    expect((await call('/webhooks/..%2F..', { body, secret })).status).toBe(404);
    const big = JSON.stringify({ pad: 'x'.repeat(70_000) });
    expect((await call(path, { body: big, secret })).status).toBe(413);
    expect((await call(path, { body: '{"broken":', secret })).status).toBe(400);
    expect(await countExecutions(job.id)).toBe(0);

    await api1().ok('POST', `/api/jobs/${job.id}/disable`);
    expect((await call(path, { body, secret })).status).toBe(403);
    await api1().ok('POST', `/api/jobs/${job.id}/enable`);

    // The webhook trigger turned off (same URL and secret: the update keeps them).
    const off = await api1().ok<CreatedJob>('PUT', `/api/jobs/${job.id}`, { ...job.definition, triggers: { scheduled: false, webhook: { enabled: false } } });
    expect(off.webhook).toMatchObject({ path, enabled: false });
    expect(off.webhook!.secret).toBeUndefined();
    expect((await call(path, { body, secret })).status).toBe(403);
    await api1().ok('PUT', `/api/jobs/${job.id}`, job.definition);
    expect(await countExecutions(job.id)).toBe(0);
    const ok = await call(path, { body, secret });
    expect(ok.status).toBe(202);
    expect(await countExecutions(job.id)).toBe(1);
  });

  it('409 while a run is in progress when the job forbids concurrent runs', async () => {
    const job = await createJob('exclusive', { enabled: true }, {
      allow_concurrent: false,
      steps: [{ id: 'hold', name: 'hold', type: 'http', config: { method: 'POST', url: `${fixture.url}/hold`, timeout_seconds: 60 } }],
    });
    const { path, secret } = job.webhook as Required<WebhookInfo>;
    const first = await call(path, { body: '{}', secret });
    expect(first.status).toBe(202);
    // Pending (before a worker took it) counts as in progress, and so does running.
    const during = await Promise.all([call(path, { body: '{}', secret }), call(path, { body: '{}', secret }, client2)]);
    expect(during.map((d) => d.status)).toEqual([409, 409]);
    // The refusal names the execution in progress (the same check as manual triggers).
    expect(during.map((d) => d.body?.execution_id)).toEqual([first.body!.execution_id, first.body!.execution_id]);
    await waitFor(async () => held.length > 0, 30_000, 'the held step to call the fixture');
    expect((await call(path, { body: '{}', secret }, client2)).status).toBe(409);
    held.shift()!.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    expect((await finished(first.body!.execution_id!)).status).toBe('success');
    const after = await call(path, { body: '{}', secret });
    expect(after.status).toBe(202);
    expect(await countExecutions(job.id)).toBe(2);
    await waitFor(async () => held.length > 0, 30_000, 'second run');
    held.shift()!.writeHead(200).end('{}');
  });

  it('two concurrent requests to an exclusive job: exactly one starts', async () => {
    const job = await createJob('exclusive-race', { enabled: true }, {
      allow_concurrent: false,
      steps: [{ id: 'hold', name: 'hold', type: 'http', config: { method: 'POST', url: `${fixture.url}/hold`, timeout_seconds: 60 } }],
    });
    const { path, secret } = job.webhook as Required<WebhookInfo>;
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => call(path, { body: `{"i":${i}}`, secret }, i % 2 ? client2 : api1())));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(7);
    expect(await countExecutions(job.id)).toBe(1);
    await waitFor(async () => held.length > 0, 30_000, 'the run to reach the fixture');
    held.shift()!.writeHead(200).end('{}');
  });

  it('refuses a replay outside the timestamp window; a replay inside it starts nothing new', async () => {
    const job = await createJob('replay', { enabled: true });
    const { path, secret } = job.webhook as Required<WebhookInfo>;
    const body = '{"order_id":"R-1"}';
    const stale = await call(path, { body, secret, timestamp: nowSeconds() - 301 });
    expect(stale.status).toBe(401);
    expect((await call(path, { body, secret, timestamp: nowSeconds() + 400 })).status).toBe(401);
    const ts = nowSeconds();
    const first = await call(path, { body, secret, timestamp: ts });
    const replay = await call(path, { body, secret, timestamp: ts }, client2);
    expect(first.status).toBe(202);
    expect(replay.status).toBe(202);
    expect(replay.body!.execution_id).toBe(first.body!.execution_id);
    expect(await countExecutions(job.id)).toBe(1);
  });

  it('rate limit is shared by two api processes: 429 with Retry-After past the limit', async () => {
    const job = await createJob('rate', { enabled: true, rate_limit: { max_requests: 4, window_seconds: 60 } });
    const { path, secret } = job.webhook as Required<WebhookInfo>;
    const answers = [];
    for (let i = 0; i < 7; i++) answers.push(await call(path, { body: `{"i":${i}}`, secret }, i % 2 ? client2 : api1()));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 429, 429, 429]);
    const retry = Number(answers[4]!.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    expect(await countExecutions(job.id)).toBe(4);
    // Unsigned requests are refused (401) before they reach the limiter.
    expect((await call(path, { body: '{}' }, client2)).status).toBe(401);
  });

  it('regenerate: the old URL answers 404 at once on both processes; the new key needs the new secret', async () => {
    const job = await createJob('regen', { enabled: true });
    const old = job.webhook as Required<WebhookInfo>;
    expect((await call(old.path, { body: '{}', secret: old.secret }, client2)).status).toBe(202);
    const fresh = await client2.ok<Required<WebhookInfo>>('POST', `/api/jobs/${job.id}/webhook/regenerate`);
    expect(fresh.path).not.toBe(old.path);
    expect(fresh.secret).not.toBe(old.secret);
    expect((await call(old.path, { body: '{}', secret: old.secret })).status).toBe(404);
    expect((await call(old.path, { body: '{}', secret: old.secret }, client2)).status).toBe(404);
    expect((await call(fresh.path, { body: '{}', secret: old.secret })).status).toBe(401);
    expect((await call(fresh.path, { body: '{}', secret: fresh.secret }, client2)).status).toBe(202);
    const got = await api1().ok<CreatedJob>('GET', `/api/jobs/${job.id}`);
    expect(got.webhook!.path).toBe(fresh.path);
    expect(JSON.stringify(got)).not.toContain(fresh.secret);
    expect((await api1().call('POST', `/api/jobs/00000000-0000-4000-8000-000000000000/webhook/regenerate`)).status).toBe(404);
  });

  it('an Idempotency-Key repeated (even on the other process, re-signed) returns the same execution and starts nothing', async () => {
    const job = await createJob('idem', { enabled: true });
    const { path, secret } = job.webhook as Required<WebhookInfo>;
    const key = `order-${randomBytes(6).toString('hex')}`;
    const first = await call(path, { body: '{"order_id":"I-1"}', secret, timestamp: nowSeconds(), headers: { 'idempotency-key': key } });
    expect(first.status).toBe(202);
    const again = await call(path, { body: '{"order_id":"I-1"}', secret, timestamp: nowSeconds() - 2, headers: { 'idempotency-key': key } }, client2);
    expect(again.status).toBe(202);
    expect(again.body!.execution_id).toBe(first.body!.execution_id);
    // Concurrent repeats of a new key: one execution for all of them.
    const key2 = `${key}-b`;
    const burst = await Promise.all(Array.from({ length: 6 }, (_, i) => call(path, { body: '{}', secret, headers: { 'idempotency-key': key2 } }, i % 2 ? client2 : api1())));
    expect(burst.map((b) => b.status)).toEqual(Array(6).fill(202));
    expect(new Set(burst.map((b) => b.body!.execution_id)).size).toBe(1);
    expect(await countExecutions(job.id)).toBe(2);
  });

  it('a job created with its own secret_key: accepted, never stored in the definition, kept on update', async () => {
    const secret = `own-secret-${randomBytes(8).toString('hex')}`;
    const job = await createJob('own-secret', { enabled: true, secret_key: secret });
    expect(job.webhook!.secret).toBeUndefined();
    expect(JSON.stringify(job)).not.toContain(secret);
    const stored = (await storageFor(sys.env.S3_BUCKET!).get(`jobs/${job.id}/versions/1.json`)).toString();
    expect(stored).not.toContain(secret);
    await api1().ok('PUT', `/api/jobs/${job.id}`, job.definition);
    expect((await call(job.webhook!.path, { body: '{}', secret })).status).toBe(202);
  });
});

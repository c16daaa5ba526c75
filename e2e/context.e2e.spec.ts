import { randomBytes } from 'crypto';
import type { Execution } from './support/api-client';
import { HttpFixture, json } from './support/http-fixture';
import { storageFor, waitFor } from './support/services';
import { TestSystem } from './support/system';

jest.setTimeout(120_000);

const SECRET = `sk-${randomBytes(12).toString('hex')}`;
const KEYS = `e2e:${randomBytes(32).toString('base64')}`;

describe('Job Context: variables, secrets, templates and conditions end to end', () => {
  const sys = new TestSystem({ name: 'e2e_context', env: { VARIABLES_ENCRYPTION_KEYS: KEYS, LOG_LEVEL: 'debug' } });
  const fixture = new HttpFixture();

  beforeAll(async () => {
    // Echoes what it received, so a secret sent out comes back in the step output.
    const echo = (status: number) => (req: { url: string; headers: Record<string, unknown>; body: string }, res: Parameters<typeof json>[0]) =>
      json(res, status, { url: req.url, authorization: req.headers.authorization ?? null, body: req.body ? JSON.parse(req.body) : null, count: 0 });
    fixture.route('GET /auth', echo(200)).route('POST /final', echo(200)).route('POST /echo', echo(200));
    fixture.route('GET /slow', (_req, res) => void setTimeout(() => json(res, 200, { ok: true }), 1500));
    await fixture.start();
    await sys.start();
    await sys.client.ok('POST', '/api/variables', { name: 'REGION', value: 'global-region' });
    await sys.client.ok('POST', '/api/variables', { name: 'API_TOKEN', value: SECRET, is_sensitive: true });
  });
  afterAll(async () => {
    await sys.stop();
    await fixture.stop();
  });

  async function runToEnd(jobId: string, payload?: unknown): Promise<Execution> {
    const { execution_id } = await sys.client.ok<{ execution_id: string }>('POST', `/api/jobs/${jobId}/trigger`, payload === undefined ? undefined : { payload });
    return waitFor(async () => {
      const e = await sys.client.ok<Execution>('GET', `/api/executions/${execution_id}`);
      return ['success', 'failed', 'timeout'].includes(e.status) ? e : null;
    }, 60_000, 'execution end');
  }

  it('resolves globals, job overrides, a secret header, a webhook value; skips a step; exists() sees the absence', async () => {
    const job = await sys.client.createJob({
      name: 'context-three-steps',
      schedule: null,
      steps: [
        { id: 'auth', name: 'auth', type: 'http', config: { method: 'GET', url: `${fixture.url}/auth?region=\${REGION}&date={{execution_date}}`, headers: { Authorization: 'Bearer ${API_TOKEN}' } } },
        { id: 'maybe', name: 'maybe', type: 'http', condition: 'steps.auth.output.body.count > 0', config: { method: 'POST', url: `${fixture.url}/echo` } },
        {
          id: 'final', name: 'final', type: 'http', condition: '!exists(steps.maybe.output) && steps.auth.response.body.count == 0',
          config: { method: 'POST', url: `${fixture.url}/final`, body: { user: '{{webhook.payload.user_id}}', region: '{{variables.REGION}}', n: '{{webhook.payload.n}}' } },
        },
      ],
    });
    await sys.client.ok('POST', '/api/variables', { name: 'REGION', value: 'job-region', job_id: job.id });
    const e = await runToEnd(job.id, { user_id: 'u-42', n: 7 });
    expect(e.status).toBe('success');

    const auth = fixture.requestsTo('/auth').at(-1)!;
    expect(auth.url).toContain('region=job-region');
    expect(auth.url).toMatch(/date=\d{4}-\d{2}-\d{2}/);
    expect(auth.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(fixture.requestsTo('/echo')).toHaveLength(0);
    const final = JSON.parse(fixture.requestsTo('/final').at(-1)!.body);
    expect(final).toEqual({ user: 'u-42', region: 'job-region', n: 7 });

    const ctx = await sys.client.ok<Record<string, any>>('GET', `/api/executions/${e.id}/context`); // eslint-disable-line @typescript-eslint/no-explicit-any -- free-form JSON under test
    expect(ctx.steps.maybe.status).toBe('skipped');
    expect(ctx.steps.maybe.output).toBeUndefined();
    expect(ctx.steps.final.status).toBe('success');
    expect(ctx.variables).toMatchObject({ REGION: 'job-region', API_TOKEN: '******' });
    expect(ctx.webhook.payload).toEqual({ user_id: 'u-42', n: 7 });
    // The secret came back in the echo; the stored output has it masked.
    expect(ctx.steps.auth.output.body.authorization).toBe('Bearer ******');
  });

  it('never stores, logs or returns a secret used in a header, a URL and a body', async () => {
    const job = await sys.client.createJob({
      name: 'secret-everywhere',
      schedule: null,
      steps: [
        {
          id: 'send', name: 'send', type: 'http',
          config: { method: 'POST', url: `${fixture.url}/echo?key=\${API_TOKEN}`, headers: { 'X-Api-Key': '${API_TOKEN}' }, body: { token: '${API_TOKEN}', nested: ['x ${API_TOKEN} y'] } },
        },
        // Fails on purpose, with the secret in its URL path: error text must be masked too.
        { id: 'fail', name: 'fail', type: 'http', config: { method: 'GET', url: `${fixture.url}/missing/\${API_TOKEN}` } },
      ],
      max_retries: 0,
    });
    const e = await runToEnd(job.id);
    expect(e.status).toBe('failed');
    const echo = fixture.requestsTo('/echo').at(-1)!;
    expect(echo.url).toContain(SECRET);
    expect(echo.headers['x-api-key']).toBe(SECRET);

    const storedContext = (await storageFor(sys.env.S3_BUCKET!).get(`jobs/${job.id}/executions/${e.id}/context.json`)).toString();
    const responses = [
      JSON.stringify(await sys.client.ok('GET', `/api/executions/${e.id}`)),
      JSON.stringify(await sys.client.ok('GET', `/api/executions/${e.id}/context`)),
      JSON.stringify(await sys.client.ok('GET', `/api/executions?job_id=${job.id}`)),
      JSON.stringify(await sys.client.ok('GET', '/api/variables')),
      JSON.stringify(await sys.client.ok('GET', `/api/jobs/${job.id}`)),
    ];
    await new Promise((r) => setTimeout(r, 300));
    const logs = sys.workers.map((w) => w.log).join('\n') + sys.api.log;
    expect(storedContext).toContain('******');
    expect(logs).toContain(e.id);
    for (const [what, text] of [['stored context', storedContext], ['logs', logs], ...responses.map((r, i) => [`response ${i}`, r])] as const) {
      expect({ what, leaked: text.includes(SECRET) }).toEqual({ what, leaked: false });
    }
  });

  it('a missing variable fails the execution naming it', async () => {
    const job = await sys.client.createJob({ name: 'missing-var', schedule: null, steps: [{ id: 'a', name: 'a', type: 'http', config: { method: 'GET', url: `${fixture.url}/auth?x=\${NOT_DEFINED_ANYWHERE}` } }] });
    const e = await runToEnd(job.id);
    expect(e.status).toBe('failed');
    expect(e.error!.step_id).toBe('a');
    expect(e.error!.message).toContain('NOT_DEFINED_ANYWHERE');
  });

  it('a variable updated during an execution applies to the next one only', async () => {
    const job = await sys.client.createJob({
      name: 'var-update',
      schedule: null,
      steps: [
        { id: 'wait', name: 'wait', type: 'http', config: { method: 'GET', url: `${fixture.url}/slow` } },
        { id: 'use', name: 'use', type: 'http', config: { method: 'POST', url: `${fixture.url}/echo`, body: { v: '${PHASE}' } } },
      ],
    });
    const v = await sys.client.ok<{ id: string }>('POST', '/api/variables', { name: 'PHASE', value: 'before', job_id: job.id });
    const { execution_id } = await sys.client.ok<{ execution_id: string }>('POST', `/api/jobs/${job.id}/trigger`);
    await waitFor(async () => (await sys.client.ok<Execution>('GET', `/api/executions/${execution_id}`)).status === 'running', 30_000, 'running');
    await sys.client.ok('PUT', `/api/variables/${v.id}`, { value: 'after' });
    await waitFor(async () => (await sys.client.ok<Execution>('GET', `/api/executions/${execution_id}`)).status === 'success', 30_000, 'success');
    expect(JSON.parse(fixture.requestsTo('/echo').at(-1)!.body)).toEqual({ v: 'before' });
    const next = await runToEnd(job.id);
    expect(next.status).toBe('success');
    expect(JSON.parse(fixture.requestsTo('/echo').at(-1)!.body)).toEqual({ v: 'after' });
  });

  it('rejects at creation a step that refers to a later or unknown step, and a condition syntax error', async () => {
    const r = await sys.client.call<{ details: { path: string; message: string }[] }>('POST', '/api/jobs', {
      name: 'bad-refs',
      schedule: null,
      steps: [
        { id: 'a', name: 'a', type: 'http', config: { method: 'GET', url: '{{steps.b.output.body.url}}' } },
        { id: 'b', name: 'b', type: 'http', condition: 'steps.a.output.status >', config: { method: 'GET', url: 'http://127.0.0.1:9/{{steps.zzz.output}}' } },
      ],
    });
    expect(r.status).toBe(400);
    const paths = r.body.details.map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['steps[0].config.url', 'steps[1].condition', 'steps[1].config.url']));
    expect(r.body.details.find((d) => d.path === 'steps[1].condition')!.message).toMatch(/position \d+/);
  });
});

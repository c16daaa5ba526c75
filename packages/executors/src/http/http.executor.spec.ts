import { createServer } from 'node:net';
import { captureLogger, caught, runContext, sendJson, TestHttpServer } from '../../test/support';
import { StepAbortedError, StepConfigError, StepTimeoutError } from '../errors';
import { ExecutorRegistry } from '../executor-registry';
import type { StepRunContext } from '../step-executor';
import { validateStepConfig } from '../validate-step-config';
import { HttpNetworkError, HttpResponseTooLargeError, HttpStatusError } from './http.errors';
import { HttpExecutor, type HttpStepOutput } from './http.executor';
import { OAuth2TokenCache } from './oauth2-token-cache';

const server = new TestHttpServer();

beforeAll(async () => {
  await server.start();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

/** Validates the raw config like the worker does, then executes. */
function execute(raw: Record<string, unknown>, run: Partial<StepRunContext> = {}, executor = new HttpExecutor()): Promise<HttpStepOutput> {
  return executor.execute(validateStepConfig(executor, raw), runContext(run));
}

/** A port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('HttpExecutor requests', () => {
  it.each(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])('sends %s', async (method) => {
    server.on('/echo', (req, res) => sendJson(res, 200, { method: req.method }));
    const out = await execute({ method, url: server.url('/echo') });
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ method });
    expect(server.hits('/echo')).toHaveLength(1);
  });

  it('sends the configured headers and a default user-agent', async () => {
    server.on('/h', (_req, res) => res.writeHead(204).end());
    await execute({ method: 'GET', url: server.url('/h'), headers: { 'X-Request-Id': 'r-42', Accept: 'text/csv' } });
    const [req] = server.hits('/h');
    expect(req!.headers['x-request-id']).toBe('r-42');
    expect(req!.headers.accept).toBe('text/csv');
    expect(req!.headers['user-agent']).toBe('vecron-worker');
  });

  it('sends Idempotency-Key {execution_id}:{step_id} by default, the same on every attempt', async () => {
    server.on('/idem', (_req, res) => res.writeHead(204).end());
    await execute({ method: 'POST', url: server.url('/idem'), body: 'x' }, { executionId: 'e-1', stepId: 'pay', attempt: 1 });
    await execute({ method: 'POST', url: server.url('/idem'), body: 'x' }, { executionId: 'e-1', stepId: 'pay', attempt: 2 });
    expect(server.hits('/idem').map((r) => r.headers['idempotency-key'])).toEqual(['e-1:pay', 'e-1:pay']);
  });

  it('the idempotency key header can be renamed or turned off, per step or by the worker default; a header in headers wins', async () => {
    server.on('/idem', (_req, res) => res.writeHead(204).end());
    const run = { executionId: 'e-2', stepId: 's' };
    await execute({ method: 'GET', url: server.url('/idem'), idempotency_key_header: 'X-Request-Key' }, run);
    await execute({ method: 'GET', url: server.url('/idem'), idempotency_key: false }, run);
    await execute({ method: 'GET', url: server.url('/idem') }, run, new HttpExecutor({ idempotencyKey: false }));
    await execute({ method: 'GET', url: server.url('/idem'), idempotency_key: true }, run, new HttpExecutor({ idempotencyKey: false, idempotencyKeyHeader: 'X-Idem' }));
    await execute({ method: 'GET', url: server.url('/idem'), headers: { 'Idempotency-Key': 'mine' } }, run);
    const hits = server.hits('/idem').map((r) => [r.headers['idempotency-key'], r.headers['x-request-key'], r.headers['x-idem']]);
    expect(hits).toEqual([
      [undefined, 'e-2:s', undefined],
      [undefined, undefined, undefined],
      [undefined, undefined, undefined],
      [undefined, undefined, 'e-2:s'],
      ['mine', undefined, undefined],
    ]);
  });

  it('refuses a bad idempotency key header name or flag', () => {
    const executor = new HttpExecutor();
    expect(() => validateStepConfig(executor, { method: 'GET', url: server.url('/x'), idempotency_key_header: 'bad name' })).toThrow(StepConfigError);
    expect(() => validateStepConfig(executor, { method: 'GET', url: server.url('/x'), idempotency_key: 'yes' })).toThrow(StepConfigError);
  });

  it('sends a string body as is', async () => {
    server.on('/b', (req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(req.body));
    const out = await execute({ method: 'POST', url: server.url('/b'), body: 'a,b\n1,2' });
    expect(server.hits('/b')[0]!.body).toBe('a,b\n1,2');
    expect(server.hits('/b')[0]!.headers['content-type']).toMatch(/^text\/plain/);
    expect(out.body).toBe('a,b\n1,2');
  });

  it('sends a JSON body as application/json unless a content-type is given', async () => {
    server.on('/j', (req, res) =>
      sendJson(res, 201, { received: JSON.parse(req.body), content_type: req.headers['content-type'] }),
    );
    const body = { id: 7, tags: ['a', 'b'], nested: { ok: true, none: null } };
    const out = await execute({ method: 'PUT', url: server.url('/j'), body });
    expect(out.status).toBe(201);
    expect(out.body).toEqual({ received: body, content_type: 'application/json' });

    const custom = await execute({
      method: 'PATCH',
      url: server.url('/j'),
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: [1, 2],
    });
    expect(custom.body).toEqual({ received: [1, 2], content_type: 'application/merge-patch+json' });
  });

  it('parses JSON responses (also +json) and keeps text as text, with lower-case headers', async () => {
    server.on('/json', (_req, res) =>
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'X-Total': '3' }).end('{"items":[1,2,3]}'),
    );
    server.on('/problem', (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/problem+json' }).end('{"title":"ok"}'),
    );
    server.on('/text', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('{"not":"parsed"}'));
    server.on('/empty-json', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end());

    const json = await execute({ method: 'GET', url: server.url('/json') });
    expect(json.body).toEqual({ items: [1, 2, 3] });
    expect(json.headers['x-total']).toBe('3');
    expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
    expect((await execute({ method: 'GET', url: server.url('/problem') })).body).toEqual({ title: 'ok' });
    expect((await execute({ method: 'GET', url: server.url('/text') })).body).toBe('{"not":"parsed"}');
    expect((await execute({ method: 'GET', url: server.url('/empty-json') })).body).toBeNull();
  });

  it('keeps a body that claims JSON but is not as text, with a warning', async () => {
    server.on('/liar', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('<html>'));
    const { logger, lines } = captureLogger();
    const out = await execute({ method: 'GET', url: server.url('/liar') }, { logger });
    expect(out.body).toBe('<html>');
    expect(lines.some((l) => l.includes('declared JSON but is not'))).toBe(true);
  });

  it('decodes the charset of the response', async () => {
    server.on('/latin1', (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/plain; charset=iso-8859-1' }).end(Buffer.from([0x63, 0x61, 0x66, 0xe9])),
    );
    expect((await execute({ method: 'GET', url: server.url('/latin1') })).body).toBe('café');
  });

  it('logs method, redacted url, status and duration', async () => {
    server.on('/log', (_req, res) => res.writeHead(200).end('ok'));
    const { logger, lines } = captureLogger();
    await execute({ method: 'GET', url: `${server.url('/log')}?page=2&api_key=SUPERSECRET` }, { logger });
    const response = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'http response');
    expect(response).toMatchObject({ method: 'GET', status: 200, url: `${server.url('/log')}?page=2&api_key=REDACTED` });
    expect(typeof response!.duration_ms).toBe('number');
    expect(lines.join('\n')).not.toContain('SUPERSECRET');
  });
});

describe('HttpExecutor auth', () => {
  it('sends basic auth', async () => {
    server.on('/basic', (_req, res) => res.writeHead(200).end());
    await execute({ method: 'GET', url: server.url('/basic'), auth: { type: 'basic', username: 'alice', password: 'pä:ss' } });
    expect(server.hits('/basic')[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('alice:pä:ss', 'utf8').toString('base64')}`,
    );
  });

  it('sends bearer auth, overriding an Authorization header', async () => {
    server.on('/bearer', (_req, res) => res.writeHead(200).end());
    await execute({
      method: 'GET',
      url: server.url('/bearer'),
      headers: { Authorization: 'Basic old' },
      auth: { type: 'bearer', token: 'tok-123' },
    });
    expect(server.hits('/bearer')[0]!.headers.authorization).toBe('Bearer tok-123');
  });

  it('never puts credentials in error messages or logs, even when the server echoes them', async () => {
    server.on('/echo-auth', (req, res) =>
      res.writeHead(403, { 'content-type': 'text/plain' }).end(`denied for ${req.headers.authorization}`),
    );
    const { logger, lines } = captureLogger();
    const err = await caught(() =>
      execute(
        { method: 'GET', url: server.url('/echo-auth'), auth: { type: 'bearer', token: 'very-secret-token' } },
        { logger },
      ),
    );
    expect(err).toBeInstanceOf(HttpStatusError);
    const text = `${(err as Error).message} ${JSON.stringify((err as HttpStatusError).toJSON())} ${lines.join('\n')}`;
    expect(text).not.toContain('very-secret-token');
    expect((err as Error).message).toContain('denied for Bearer [REDACTED]');

    const basic = await caught(() =>
      execute({ method: 'GET', url: server.url('/echo-auth'), auth: { type: 'basic', username: 'bob', password: 'hunter22' } }),
    );
    const encoded = Buffer.from('bob:hunter22').toString('base64');
    expect((basic as Error).message).not.toContain(encoded);
    expect((basic as Error).message).toContain('[REDACTED]');
  });
});

describe('HttpExecutor oauth2 client credentials', () => {
  let issued: string[];
  let accepted: Set<string>;
  let expiresIn: number | undefined;

  function oauthConfig(scope?: string): Record<string, unknown> {
    return {
      method: 'GET',
      url: server.url('/api'),
      auth: {
        type: 'oauth2',
        client_id: 'my-client',
        client_secret: 's3cr3t&=',
        token_url: server.url('/token'),
        ...(scope ? { scope } : {}),
      },
    };
  }

  beforeEach(() => {
    issued = [];
    accepted = new Set();
    expiresIn = 3600;
    server.on('/token', (_req, res) => {
      const token = `tok-${issued.length + 1}`;
      issued.push(token);
      accepted.add(token);
      sendJson(res, 200, { access_token: token, token_type: 'Bearer', ...(expiresIn === undefined ? {} : { expires_in: expiresIn }) });
    });
    server.on('/api', (req, res) => {
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (accepted.has(token)) sendJson(res, 200, { token });
      else sendJson(res, 401, { error: 'invalid_token' });
    });
  });

  it('requests a token with the client-credentials grant and basic client auth', async () => {
    const out = await execute(oauthConfig('read write'));
    expect(out.body).toEqual({ token: 'tok-1' });
    const [tokenReq] = server.hits('/token');
    expect(tokenReq!.method).toBe('POST');
    expect(tokenReq!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(tokenReq!.body))).toEqual({
      grant_type: 'client_credentials',
      scope: 'read write',
    });
    // RFC 6749 §2.3.1: id and secret form-encoded, then HTTP Basic.
    expect(tokenReq!.headers.authorization).toBe(`Basic ${Buffer.from('my-client:s3cr3t%26%3D').toString('base64')}`);
    expect(server.hits('/api')[0]!.headers.authorization).toBe('Bearer tok-1');
  });

  it('fetches the token once and reuses it across executions', async () => {
    const executor = new HttpExecutor();
    await execute(oauthConfig(), {}, executor);
    await execute(oauthConfig(), {}, executor);
    expect(server.hits('/token')).toHaveLength(1);
    expect(server.hits('/api').map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-1']);
    expect(executor.tokenCache.size).toBe(1);
  });

  it('keeps separate tokens per scope', async () => {
    const executor = new HttpExecutor();
    await execute(oauthConfig('a'), {}, executor);
    await execute(oauthConfig('b'), {}, executor);
    expect(server.hits('/token')).toHaveLength(2);
  });

  it('on a 401 drops the cached token, fetches a new one once and retries once', async () => {
    const executor = new HttpExecutor();
    await execute(oauthConfig(), {}, executor);
    accepted.delete('tok-1'); // revoked by the provider
    const out = await execute(oauthConfig(), {}, executor);
    expect(out.body).toEqual({ token: 'tok-2' });
    expect(server.hits('/token')).toHaveLength(2);
    expect(server.hits('/api').map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
    // the fresh token is cached
    await execute(oauthConfig(), {}, executor);
    expect(server.hits('/token')).toHaveLength(2);
  });

  it('fails with a non-retryable 401 when the fresh token is refused too', async () => {
    server.on('/api', (_req, res) => sendJson(res, 401, { error: 'invalid_token' }));
    const err = await caught(() => execute(oauthConfig()));
    expect(err).toBeInstanceOf(HttpStatusError);
    expect(err).toMatchObject({ status: 401, retryable: false });
    expect(server.hits('/token')).toHaveLength(2);
    expect(server.hits('/api')).toHaveLength(2);
    expect((err as Error).message).not.toMatch(/tok-\d/);
  });

  it('honours expires_in (fake clock)', async () => {
    let now = 1_000_000;
    const executor = new HttpExecutor({ tokenCache: new OAuth2TokenCache({ now: () => now }) });
    expiresIn = 120; // usable for 120 - 30 s of skew
    await execute(oauthConfig(), {}, executor);
    now += 89_000;
    await execute(oauthConfig(), {}, executor);
    expect(server.hits('/token')).toHaveLength(1);
    now += 2_000;
    await execute(oauthConfig(), {}, executor);
    expect(server.hits('/token')).toHaveLength(2);
    expect(server.hits('/api').at(-1)!.headers.authorization).toBe('Bearer tok-2');
  });

  it('honours a 1-second expires_in (real clock)', async () => {
    const executor = new HttpExecutor();
    expiresIn = 1;
    await execute(oauthConfig(), {}, executor);
    await execute(oauthConfig(), {}, executor);
    expect(server.hits('/token')).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await execute(oauthConfig(), {}, executor);
    expect(server.hits('/token')).toHaveLength(2);
  });

  it('classifies token endpoint failures: 5xx retryable, 4xx not, missing access_token not', async () => {
    server.on('/token', (_req, res) => sendJson(res, 503, { error: 'unavailable' }));
    expect(await caught(() => execute(oauthConfig()))).toMatchObject({ code: 'OAUTH2_TOKEN_ERROR', retryable: true });
    server.on('/token', (_req, res) => sendJson(res, 401, { error: 'invalid_client' }));
    const badClient = await caught(() => execute(oauthConfig()));
    expect(badClient).toMatchObject({ code: 'OAUTH2_TOKEN_ERROR', retryable: false });
    expect((badClient as Error).message).toContain('HTTP 401');
    expect((badClient as Error).message).toContain('invalid_client');
    expect((badClient as Error).message).not.toContain('s3cr3t');
    server.on('/token', (_req, res) => sendJson(res, 200, { token_type: 'Bearer' }));
    expect(await caught(() => execute(oauthConfig()))).toMatchObject({ code: 'OAUTH2_TOKEN_ERROR', retryable: false });
    expect(server.hits('/api')).toHaveLength(0);
  });
});

describe('HttpExecutor failures', () => {
  it.each([
    [500, true],
    [503, true],
    [429, true],
    [404, false],
    [400, false],
    [403, false],
  ])('HTTP %i → HttpStatusError retryable=%s', async (status, retryable) => {
    server.on('/fail', (_req, res) => res.writeHead(status, { 'content-type': 'text/plain' }).end(`reason for ${status}`));
    const err = await caught(() => execute({ method: 'POST', url: server.url('/fail'), body: 'x' }));
    expect(err).toBeInstanceOf(HttpStatusError);
    expect(err).toMatchObject({ status, retryable, code: 'HTTP_STATUS' });
    expect((err as Error).message).toBe(`POST ${server.url('/fail')} failed with HTTP ${status}: reason for ${status}`);
  });

  it('cuts the body excerpt at 500 characters and keeps Retry-After', async () => {
    server.on('/long', (_req, res) => res.writeHead(429, { 'retry-after': '120' }).end('x'.repeat(20_000)));
    const err = (await caught(() => execute({ method: 'GET', url: server.url('/long') }))) as HttpStatusError;
    expect(err.bodyExcerpt).toBe(`${'x'.repeat(500)}…`);
    expect(err.message.length).toBeLessThan(600);
    expect(err.details).toMatchObject({ status: 429, retry_after: '120' });
  });

  it('connection refused → retryable HttpNetworkError', async () => {
    const port = await closedPort();
    const err = await caught(() => execute({ method: 'GET', url: `http://127.0.0.1:${port}/x` }));
    expect(err).toBeInstanceOf(HttpNetworkError);
    expect(err).toMatchObject({ retryable: true, networkCode: 'ECONNREFUSED' });
    expect((err as Error).message).toContain('ECONNREFUSED');
  });

  it('socket hang-up → retryable HttpNetworkError', async () => {
    server.on('/hangup', (_req, res) => res.socket?.destroy());
    const err = await caught(() => execute({ method: 'GET', url: server.url('/hangup') }));
    expect(err).toBeInstanceOf(HttpNetworkError);
    expect(err).toMatchObject({ retryable: true });
  });

  it('DNS failure → retryable HttpNetworkError', async () => {
    const err = await caught(() => execute({ method: 'GET', url: 'http://no-such-host.invalid/' }));
    expect(err).toBeInstanceOf(HttpNetworkError);
    expect(err).toMatchObject({ retryable: true });
  });

  it('timeout_seconds elapsed on a server that never answers → StepTimeoutError', async () => {
    server.on('/never', () => undefined);
    const started = Date.now();
    const err = await caught(() => execute({ method: 'GET', url: server.url('/never'), timeout_seconds: 1 }));
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(StepTimeoutError);
    expect(err).toMatchObject({ retryable: true, timeoutSeconds: 1, code: 'STEP_TIMEOUT' });
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(3000);
  });

  it('job signal aborted mid-request → StepAbortedError quickly, with the reason', async () => {
    server.on('/never', () => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('execution cancelled')), 100);
    const started = Date.now();
    const err = await caught(() => execute({ method: 'GET', url: server.url('/never') }, { signal: controller.signal }));
    expect(err).toBeInstanceOf(StepAbortedError);
    expect(err).toMatchObject({ retryable: false, code: 'STEP_ABORTED' });
    expect((err as StepAbortedError).reason).toEqual(new Error('execution cancelled'));
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('job signal aborted while the body streams → StepAbortedError', async () => {
    server.on('/slow-body', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort('stop'), 200);
    const err = await caught(() => execute({ method: 'GET', url: server.url('/slow-body') }, { signal: controller.signal }));
    expect(err).toBeInstanceOf(StepAbortedError);
    expect((err as StepAbortedError).reason).toBe('stop');
  });

  it('an already aborted job signal sends nothing', async () => {
    server.on('/x', (_req, res) => res.writeHead(200).end());
    const controller = new AbortController();
    controller.abort('gone');
    const err = await caught(() => execute({ method: 'GET', url: server.url('/x') }, { signal: controller.signal }));
    expect(err).toBeInstanceOf(StepAbortedError);
    expect(server.hits('/x')).toHaveLength(0);
  });

  it('a streamed body over the size cap fails, not retryable', async () => {
    server.on('/big', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('a'.repeat(800));
      res.end('b'.repeat(800));
    });
    const err = await caught(() => execute({ method: 'GET', url: server.url('/big') }, {}, new HttpExecutor({ maxResponseBytes: 1024 })));
    expect(err).toBeInstanceOf(HttpResponseTooLargeError);
    expect(err).toMatchObject({ retryable: false, code: 'HTTP_RESPONSE_TOO_LARGE', maxBytes: 1024 });
    expect((err as Error).message).toContain('1024-byte limit');
  });

  it('a declared Content-Length over the cap fails, and a body at the cap passes', async () => {
    server.on('/declared', (_req, res) => res.writeHead(200, { 'content-length': '2000' }).end('c'.repeat(2000)));
    server.on('/exact', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('d'.repeat(1024)));
    const executor = new HttpExecutor({ maxResponseBytes: 1024 });
    await expect(execute({ method: 'GET', url: server.url('/declared') }, {}, executor)).rejects.toBeInstanceOf(
      HttpResponseTooLargeError,
    );
    expect((await execute({ method: 'GET', url: server.url('/exact') }, {}, executor)).body).toBe('d'.repeat(1024));
  });
});

describe('HttpExecutor through the registry', () => {
  it('validates then executes', async () => {
    server.on('/r', (_req, res) => sendJson(res, 200, { ok: true }));
    const registry = new ExecutorRegistry([new HttpExecutor()]);
    await expect(registry.run('http', { method: 'GET', url: server.url('/r') }, runContext())).resolves.toMatchObject({
      status: 200,
      body: { ok: true },
    });
    await expect(registry.run('http', { method: 'GET', url: 'nope' }, runContext())).rejects.toBeInstanceOf(StepConfigError);
    expect(server.hits('/r')).toHaveLength(1);
  });
});

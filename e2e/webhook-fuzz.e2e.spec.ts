import { randomBytes } from 'crypto';
import fc from 'fast-check';
import { Client } from 'pg';
import { TestSystem } from './support/system';
import { nowSeconds, sign } from './support/webhook-client';

jest.setTimeout(120_000);

const KEYS = `fuzz:${randomBytes(32).toString('base64')}`;
const LIMIT = 16 * 1024;

/** Visible ASCII (and space) — what a header value can carry on the wire here. */
const visible = (maxLength: number) => fc.string({ unit: fc.mapToConstant({ num: 95, build: (v) => String.fromCharCode(0x20 + v) }), maxLength });

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
const BATCH = 12;
const TIME_LIMIT_MS = Number(process.env.FUZZ_TIME_LIMIT_MS ?? 18_000);

const request = fc.record({
  body: fc.oneof(
    fc.json({ maxDepth: 4 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
    fc.constant(''),
    fc.constant(`{"deep":${'['.repeat(300)}${']'.repeat(300)}}`),
    fc.constant('{"nul":"\\u0000"}'),
    fc.integer({ min: LIMIT - 2, max: LIMIT + 50 }).map((n) => 'x'.repeat(n)),
  ),
  contentType: fc.oneof(fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/vnd.partner+json; charset=utf-8', 'application/octet-stream'), visible(30)),
  signature: fc.constantFrom('none', 'garbage', 'random-hex', 'wrong-secret', 'other-body', 'valid', 'valid-upper'),
  timestamp: fc.constantFrom('none', 'now', 'stale', 'future', 'garbage', 'empty'),
  idempotencyKey: fc.option(visible(40), { nil: undefined }),
  encoding: fc.oneof({ weight: 15, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('gzip', 'identity', 'br') }),
  headers: fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,16}$/), visible(40), { maxKeys: 4 }),
  query: fc.oneof(fc.constant(''), fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 12 }), { maxKeys: 3 }).map((d) => new URLSearchParams(d).toString()), fc.constant('a=%00&b=%ZZ')),
  path: fc.oneof({ weight: 8, arbitrary: fc.constant('real') }, { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_~.-]{0,40}$/) }),
});

type FuzzRequest = typeof request extends fc.Arbitrary<infer T> ? T : never;

describe('webhook fuzz: random bodies, headers and signatures against the built api', () => {
  const sys = new TestSystem({ name: 'e2e_webhook_fuzz', schedulers: 0, workers: 0, env: { VARIABLES_ENCRYPTION_KEYS: KEYS, WEBHOOK_BODY_LIMIT: `${LIMIT}b`, LOG_LEVEL: 'error' } });
  let pg: Client;

  beforeAll(async () => {
    await sys.start();
    pg = new Client({ connectionString: sys.env.DATABASE_URL });
    await pg.connect();
  });
  afterAll(async () => {
    await sys.stop();
    await pg?.end();
  });

  it('never answers 5xx and never starts an execution without a valid signature', async () => {
    const job = await sys.client.ok<{ id: string; webhook: { path: string; secret: string } }>('POST', '/api/jobs', {
      name: 'fuzz', schedule: null, allow_concurrent: true,
      triggers: { scheduled: false, webhook: { enabled: true } },
      steps: [{ id: 's', name: 's', type: 'http', config: { method: 'POST', url: 'http://127.0.0.1:9/none', body: '{{webhook.payload}}' } }],
    });
    const { path, secret } = job.webhook;
    const accepted = new Set<string>();
    const statuses = new Map<number, number>();
    let validSent = 0;
    const started = Date.now();

    const send = async (r: FuzzRequest): Promise<void> => {
      const body = typeof r.body === 'string' ? r.body : Buffer.isBuffer(r.body) ? r.body : JSON.stringify(r.body);
      const now = nowSeconds();
      const ts = { none: undefined, now: String(now), stale: String(now - 400), future: String(now + 400), garbage: 'soon', empty: '' }[r.timestamp];
      const signedTs = ts === undefined || ts === '' ? undefined : Number.isNaN(Number(ts)) ? undefined : Number(ts);
      const headers: Record<string, string> = { ...r.headers, 'content-type': r.contentType };
      if (r.encoding) headers['content-encoding'] = r.encoding;
      if (r.idempotencyKey !== undefined) headers['idempotency-key'] = r.idempotencyKey;
      if (ts !== undefined) headers['x-webhook-timestamp'] = ts;
      const good = sign(secret, body, signedTs);
      const sig = {
        none: undefined,
        garbage: 'sha256=not-hex',
        'random-hex': `sha256=${randomBytes(32).toString('hex')}`,
        'wrong-secret': sign('whsec_another-secret-entirely', body, signedTs),
        'other-body': sign(secret, `${body.toString()} `, signedTs),
        valid: good,
        'valid-upper': `sha256=${good.slice(7).toUpperCase()}`,
      }[r.signature];
      if (sig !== undefined) headers['x-webhook-signature'] = sig;
      const validSignature = (r.signature === 'valid' || r.signature === 'valid-upper') && (r.timestamp === 'none' || r.timestamp === 'now') && r.path === 'real';
      if (validSignature) validSent++;

      const target = r.path === 'real' ? path : `/webhooks/${encodeURIComponent(r.path)}`;
      const res = await fetch(`${sys.client.baseUrl}${target}${r.query ? `?${r.query}` : ''}`, { method: 'POST', headers, body });
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status).toBeLessThan(500);
      if (res.status === 202) {
        expect(validSignature).toBe(true);
        accepted.add((JSON.parse(text) as { execution_id: string }).execution_id);
      }
    };

    await fc.assert(
      // Requests go in concurrent batches (the api sees overlapping requests, and a few
      // thousand fit in the time); a failing batch is shrunk like any value.
      fc.asyncProperty(fc.array(request, { minLength: BATCH, maxLength: BATCH }), (batch) => Promise.all(batch.map(send)).then(() => undefined)),
      // Bounded in time on a busy machine: the runs done by then must all pass (and be enough).
      { numRuns: Math.ceil(RUNS / BATCH), seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31), interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
    );
    const sent = [...statuses.values()].reduce((a, b) => a + b, 0);
    expect(sent).toBeGreaterThanOrEqual(Math.min(RUNS, 200));

    // Every execution in the database came from a validly signed request, and nothing else did.
    const { rows } = await pg.query<{ id: string }>('select id from job_executions');
    expect(new Set(rows.map((x) => x.id))).toEqual(accepted);
    expect(accepted.size).toBeGreaterThan(validSent / 10);
    for (const s of [401, 404, 202]) expect(statuses.get(s) ?? 0).toBeGreaterThan(0);
    console.log(`webhook fuzz: ${sent} requests, ${[...statuses].sort().map(([s, n]) => `${s}×${n}`).join(' ')} in ${Date.now() - started} ms, ${accepted.size} executions`);
  });
});

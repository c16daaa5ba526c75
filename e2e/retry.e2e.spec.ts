import type { Execution } from './support/api-client';
import { HttpFixture, json, type RecordedRequest } from './support/http-fixture';
import { waitFor } from './support/services';
import { TestSystem } from './support/system';

jest.setTimeout(60_000);

const httpStep = (id: string, config: Record<string, unknown>) => ({ id, name: id, type: 'http', condition: null, config });

interface Attempt {
  attempt: number;
  step_id: string;
  status: 'success' | 'failed';
  error_code: string | null;
  started_at: string;
  finished_at: string;
  next_attempt_at: string | null;
}

interface RetriedExecution extends Execution {
  attempt: number;
  current_step: string | null;
  next_attempt_at: string | null;
  replay_of: string | null;
  error: { message: string; step_id?: string; code?: string; retryable?: boolean } | null;
  attempts?: Attempt[];
}

const TERMINAL = ['success', 'failed', 'timeout', 'cancelled', 'dead_letter'];

/**
 * Retries as delayed resumes, dead letters and replays, against the built api + scheduler + one
 * worker taking one execution at a time (so that a retry holding the worker slot would show).
 * A local HTTP fixture counts the requests of each step (tagged with the execution id) and records
 * their Idempotency-Key headers.
 */
describe('retries, dead letters and replays end to end', () => {
  const sys = new TestSystem({ name: 'e2e_retry', workers: 1, workerEnv: { WORKER_CONCURRENCY: '1' } });
  const fixture = new HttpFixture();
  /** Answers of /flaky per tag: a tag's first `failuresBefore` requests get a 503. */
  const flakyFailures = new Map<string, number>();
  let switchUp = false;

  beforeAll(async () => {
    const tagOf = (req: RecordedRequest) => new URL(req.url, 'http://x').searchParams.get('tag') ?? '';
    fixture
      .route('POST /first', (req, res) => json(res, 200, { token: `t-${tagOf(req)}` }))
      .route('POST /flaky', (req, res) => {
        const tag = tagOf(req);
        const left = flakyFailures.get(tag) ?? 2;
        flakyFailures.set(tag, left - 1);
        if (left > 0) json(res, 503, { error: 'try later' });
        else json(res, 200, { received: JSON.parse(req.body) as unknown });
      })
      .route('POST /switch', (req, res) => (switchUp ? json(res, 200, { received: JSON.parse(req.body) as unknown }) : json(res, 503, { error: 'down' })))
      .route('POST /after', (_req, res) => json(res, 200, { ok: true }))
      .route('GET /ok', (_req, res) => json(res, 200, { ok: true }));
    await fixture.start();
    await sys.start();
  });

  afterAll(async () => {
    await sys.stop();
    await fixture.stop();
  });

  afterEach(() => {
    const failed = (expect.getState() as { suppressedErrors: unknown[] }).suppressedErrors.length > 0;
    if (failed) process.stderr.write(sys.logs());
  });

  const api = () => sys.client;
  const get = (id: string) => api().ok<RetriedExecution>('GET', `/api/executions/${id}`);
  const trigger = async (jobId: string): Promise<string> => (await api().ok<{ execution_id: string }>('POST', `/api/jobs/${jobId}/trigger`)).execution_id;
  const finished = (id: string, ms = 15_000) =>
    waitFor(async () => {
      const e = await get(id);
      return TERMINAL.includes(e.status) ? e : null;
    }, ms, `execution ${id} to finish`);
  const requestsOf = (path: string, tag: string) => fixture.requestsTo(path).filter((r) => r.url.includes(`tag=${tag}`));
  /** first → flaky (or switch) → after; each request tagged with the execution id. */
  const pipeline = (name: string, middle: '/flaky' | '/switch', extra: Record<string, unknown>) =>
    api().createJob({
      name,
      schedule: null,
      allow_concurrent: false,
      ...extra,
      steps: [
        httpStep('first', { method: 'POST', url: `${fixture.url}/first?tag={{execution_id}}`, body: {} }),
        httpStep('middle', { method: 'POST', url: `${fixture.url}${middle}?tag={{execution_id}}`, body: { token: '{{steps.first.output.body.token}}' } }),
        httpStep('after', { method: 'POST', url: `${fixture.url}/after?tag={{execution_id}}`, body: {} }),
      ],
    });

  it('a step failing twice is retried on delayed jobs at that step (completed steps not run again, the worker slot free meanwhile, the same Idempotency-Key)', async () => {
    const job = await pipeline('flaky pipeline', '/flaky', { max_retries: 3, retry: { delays_seconds: [2], jitter: 0 } });
    const quick = await api().createJob({ name: 'quick', schedule: null, steps: [httpStep('ok', { method: 'GET', url: `${fixture.url}/ok` })] });
    const id = await trigger(job.id);

    // Waiting for its retry: still running, held by no worker, next attempt announced.
    const waiting = await waitFor(async () => {
      const e = await get(id);
      return e.next_attempt_at ? e : null;
    }, 10_000, 'the execution to wait for a retry');
    expect(waiting).toMatchObject({ status: 'running', current_step: 'middle', attempt: 2 });
    // The only worker slot is free during the wait: another job triggered now runs (had the wait
    // held the slot, it could start only once this execution had ended).
    const other = await finished(await trigger(quick.id));
    expect(other.status).toBe('success');

    const done = await finished(id);
    expect(done.status).toBe('success');
    expect(requestsOf('/first', id)).toHaveLength(1);
    const flaky = requestsOf('/flaky', id);
    expect(flaky).toHaveLength(3);
    expect(requestsOf('/after', id)).toHaveLength(1);
    // Each retry came after its 2 s delay (a delayed Bull job, not an immediate redelivery).
    expect(flaky[1]!.at - flaky[0]!.at).toBeGreaterThanOrEqual(1_900);
    expect(flaky[2]!.at - flaky[1]!.at).toBeGreaterThanOrEqual(1_900);
    // The resumed step still read the completed step's output (from the saved context).
    expect(JSON.parse(flaky[2]!.body)).toEqual({ token: `t-${id}` });
    expect(flaky.map((r) => r.headers['idempotency-key'])).toEqual([`${id}:middle`, `${id}:middle`, `${id}:middle`]);
    expect(requestsOf('/first', id)[0]!.headers['idempotency-key']).toBe(`${id}:first`);

    expect(done.attempts!.map((a) => [a.step_id, a.attempt, a.status, a.error_code])).toEqual([
      ['first', 1, 'success', null],
      ['middle', 1, 'failed', 'HTTP_STATUS'],
      ['middle', 2, 'failed', 'HTTP_STATUS'],
      ['middle', 3, 'success', null],
      ['after', 1, 'success', null],
    ]);
    const [, fail1] = done.attempts!;
    expect(Date.parse(fail1!.next_attempt_at!) - Date.parse(fail1!.finished_at)).toBeGreaterThanOrEqual(1_900);
    expect(done.next_attempt_at).toBeNull();
    expect(Date.parse(other.completed_at!)).toBeLessThan(Date.parse(done.completed_at!));
    expect(Date.parse(other.started_at!)).toBeLessThan(flaky[2]!.at);
  });

  it('exhausted retries end dead_letter, listed by status; replays from the failed step and from the start', async () => {
    switchUp = false;
    const job = await pipeline('dead letters', '/switch', { max_retries: 2, retry: { delays_seconds: [1], jitter: 0 } });
    const id = await trigger(job.id);
    const dead = await finished(id);
    expect(dead.status).toBe('dead_letter');
    expect(dead.error).toMatchObject({ step_id: 'middle', retryable: true });
    expect(dead.attempts!.filter((a) => a.step_id === 'middle').map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(requestsOf('/switch', id)).toHaveLength(3);
    const listed = await api().ok<{ items: RetriedExecution[] }>('GET', `/api/executions?status=dead_letter&job_id=${job.id}`);
    expect(listed.items.map((e) => e.id)).toEqual([id]);

    // Never re-run automatically.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(requestsOf('/switch', id)).toHaveLength(3);
    expect((await get(id)).status).toBe('dead_letter');

    // The target is back: replay from the failed step — "first" is not called again, its output comes from the original.
    switchUp = true;
    const replay = await api().call<{ execution_id: string; replay_of: string; from: string; resume_step: string | null }>('POST', `/api/executions/${id}/replay`, { from: 'failed_step' });
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({ replay_of: id, from: 'failed_step', resume_step: 'middle' });
    const r1 = await finished(replay.body.execution_id);
    expect(r1).toMatchObject({ status: 'success', trigger_source: 'replay', replay_of: id });
    expect(requestsOf('/first', r1.id)).toHaveLength(0);
    expect(requestsOf('/first', id)).toHaveLength(1);
    const middle = requestsOf('/switch', r1.id);
    expect(middle).toHaveLength(1);
    expect(JSON.parse(middle[0]!.body)).toEqual({ token: `t-${id}` });
    expect(middle[0]!.headers['idempotency-key']).toBe(`${r1.id}:middle`);
    expect(r1.attempts!.map((a) => a.step_id)).toEqual(['middle', 'after']);
    expect(r1.steps!.map((s) => [s.step_id, s.status])).toEqual([['first', 'success'], ['middle', 'success'], ['after', 'success']]);

    // From the start: every step again, first included.
    const r2 = await api().ok<{ execution_id: string }>('POST', `/api/executions/${id}/replay`, { from: 'start' });
    const done2 = await finished(r2.execution_id);
    expect(done2).toMatchObject({ status: 'success', replay_of: id });
    expect(requestsOf('/first', r2.execution_id)).toHaveLength(1);
    expect(JSON.parse(requestsOf('/switch', r2.execution_id)[0]!.body)).toEqual({ token: `t-${r2.execution_id}` });

    // The original is untouched and still listed as a dead letter.
    expect((await get(id)).status).toBe('dead_letter');
  });

  it('replay answers 404 for an unknown execution, 409 for one not finished or without a failed step, 400 for a bad from', async () => {
    expect((await api().call('POST', '/api/executions/00000000-0000-4000-8000-000000000000/replay', { from: 'start' })).status).toBe(404);
    const ok = await api().createJob({ name: 'fine', schedule: null, steps: [httpStep('ok', { method: 'GET', url: `${fixture.url}/ok` })] });
    const done = await finished(await trigger(ok.id));
    expect(done.status).toBe('success');
    const noStep = await api().call<{ message: string }>('POST', `/api/executions/${done.id}/replay`, { from: 'failed_step' });
    expect(noStep.status).toBe(409);
    expect(noStep.body.message).toContain('no failed step');
    expect((await api().call('POST', `/api/executions/${done.id}/replay`, { from: 'middle' })).status).toBe(400);

    // A run waiting for its retry is not finished: 409; a stop during the wait cancels it at once.
    switchUp = false;
    const job = await pipeline('long wait', '/switch', { max_retries: 3, retry: { delays_seconds: [30] } });
    const id = await trigger(job.id);
    await waitFor(async () => ((await get(id)).next_attempt_at ? true : null), 10_000, 'the wait');
    const busy = await api().call<{ execution_id: string }>('POST', `/api/executions/${id}/replay`, { from: 'start' });
    expect(busy.status).toBe(409);
    expect(busy.body.execution_id).toBe(id);
    const stop = await api().call<{ status: string }>('POST', `/api/executions/${id}/stop`);
    expect(stop).toMatchObject({ status: 202, body: { status: 'cancelled' } });
    expect(await get(id)).toMatchObject({ status: 'cancelled', next_attempt_at: null, error: { code: 'CANCELLED' } });
    expect(requestsOf('/switch', id)).toHaveLength(1);
  });
});

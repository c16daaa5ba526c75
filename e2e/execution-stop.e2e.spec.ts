import { Client } from 'pg';
import type { Execution } from './support/api-client';
import { HttpFixture, json } from './support/http-fixture';
import { waitFor } from './support/services';
import { TestSystem } from './support/system';

jest.setTimeout(120_000);

const httpStep = (id: string, config: Record<string, unknown>) => ({ id, name: id, type: 'http', condition: null, config });

interface StopAnswer {
  execution_id: string;
  status: 'cancelled' | 'stopping';
  cancel_requested_at: string;
  cancel_requested_by: string;
  cancel_requested_by_user_id: string | null;
}

interface StoppedExecution extends Execution {
  error: { message: string; step_id?: string; code?: string } | null;
  cancel_requested_at: string | null;
  cancel_requested_by: string | null;
  cancel_requested_by_user_id: string | null;
}

/**
 * Stopping executions (POST /api/executions/:id/stop) and the overlap check of manual triggers,
 * against the built api + scheduler + two workers. Each worker takes one execution at a time, so
 * two hanging runs occupy both workers and a third trigger stays pending (not delivered).
 */
describe('execution stop end to end (two workers)', () => {
  const sys = new TestSystem({ name: 'e2e_stop', workers: 2, workerEnv: { WORKER_CONCURRENCY: '1', WORKER_SHUTDOWN_GRACE_MS: '1000' } });
  const fixture = new HttpFixture();
  /** Tags of /hang requests whose connection was closed by the client before an answer. */
  const aborted: string[] = [];
  let pg: Client;

  beforeAll(async () => {
    fixture
      // Never answers: the step hangs until the worker aborts it.
      .route('GET /hang', (req, res) => {
        res.on('close', () => {
          if (!res.writableEnded) aborted.push(new URL(req.url, 'http://x').searchParams.get('tag') ?? '');
        });
      })
      .route('GET /ok', (_req, res) => json(res, 200, { ok: true }));
    await fixture.start();
    await sys.start();
    pg = new Client({ connectionString: sys.env.DATABASE_URL });
    await pg.connect();
  });

  afterAll(async () => {
    await sys.stop();
    await fixture.stop();
    await pg?.end();
  });

  afterEach(() => {
    const failed = (expect.getState() as { suppressedErrors: unknown[] }).suppressedErrors.length > 0;
    if (failed) process.stderr.write(sys.logs());
  });

  const api = () => sys.client;
  const get = (id: string) => api().ok<StoppedExecution>('GET', `/api/executions/${id}`);
  const hangingRequests = (tag: string) => fixture.requestsTo('/hang').filter((r) => r.url.includes(`tag=${tag}`));
  const hangJob = (name: string, allowConcurrent: boolean) =>
    api().createJob({
      name,
      schedule: null,
      max_retries: 0,
      allow_concurrent: allowConcurrent,
      steps: [
        // The tag is the execution id: each run's request is told apart.
        httpStep('hang', { method: 'GET', url: `${fixture.url}/hang?tag={{execution_id}}`, timeout_seconds: 60 }),
        httpStep('after', { method: 'GET', url: `${fixture.url}/ok` }),
      ],
    });
  const trigger = async (jobId: string) => {
    const r = await api().call<{ execution_id: string }>('POST', `/api/jobs/${jobId}/trigger`);
    expect(r.status).toBe(202);
    return r.body.execution_id;
  };
  const waitRunningInStep = (id: string) => waitFor(async () => hangingRequests(id).length > 0, 30_000, `execution ${id} in its hanging step`);
  const waitStatus = (id: string, status: string, ms: number) =>
    waitFor(async () => {
      const e = await get(id);
      return e.status === status ? e : null;
    }, ms, `execution ${id} ${status}`);

  it('stops running executions on whichever worker holds them, cancels a pending one at once; the fixture sees the requests aborted', async () => {
    const job = await hangJob('hang-concurrent', true);
    const first = await trigger(job.id);
    await waitRunningInStep(first);
    const second = await trigger(job.id);
    await waitRunningInStep(second);
    // Both workers are busy (concurrency 1 each): a third run is not delivered yet.
    const third = await trigger(job.id);
    expect((await get(third)).status).toBe('pending');

    const p = await api().call<StopAnswer>('POST', `/api/executions/${third}/stop`);
    expect(p.status).toBe(202);
    expect(p.body).toMatchObject({ execution_id: third, status: 'cancelled', cancel_requested_by: 'api', cancel_requested_by_user_id: expect.stringMatching(/^[0-9a-f-]{36}$/) }); // the user the ApiClient logs in as (admin)
    const cancelledPending = await get(third);
    expect(cancelledPending).toMatchObject({ status: 'cancelled', started_at: null, cancel_requested_by: 'api' });
    expect(cancelledPending.error).toEqual({ code: 'CANCELLED', message: `stopped by api at ${p.body.cancel_requested_at}` });

    const holders = await pg.query<{ id: string; worker_id: string }>('select id, worker_id from job_executions where id = any($1::uuid[])', [[first, second]]);
    // One run on each worker: the stop must reach both.
    expect(new Set(holders.rows.map((r) => r.worker_id))).toEqual(new Set(['w1', 'w2']));

    for (const id of [first, second]) {
      const stoppedAt = Date.now();
      const s = await api().call<StopAnswer>('POST', `/api/executions/${id}/stop`);
      expect(s.status).toBe(202);
      expect(s.body).toMatchObject({ execution_id: id, status: 'stopping', cancel_requested_by: 'api' });
      const e = await waitStatus(id, 'cancelled', 5_000);
      expect(Date.now() - stoppedAt).toBeLessThan(5_000);
      expect(e.error).toEqual({ code: 'CANCELLED', message: `stopped by api at ${s.body.cancel_requested_at}`, step_id: 'hang' });
      expect(e.cancel_requested_at).toBe(s.body.cancel_requested_at);
      // The step in flight was aborted through its signal: the fixture saw its client go away.
      await waitFor(async () => aborted.includes(id), 5_000, `the fixture to see ${id}'s request aborted`);
      // The context up to the stop is saved; the step after it never ran.
      const ctx = await api().ok<{ steps: Record<string, { status: string; error?: { message: string } }> }>('GET', `/api/executions/${id}/context`);
      expect(ctx.steps.hang).toMatchObject({ status: 'failed', error: { message: `stopped by api at ${s.body.cancel_requested_at}` } });
      expect(ctx.steps.after).toBeUndefined();
      expect(e.steps!.map((x) => [x.step_id, x.status])).toEqual([['hang', 'failed']]);
    }
    expect(fixture.requestsTo('/ok')).toHaveLength(0);

    // The pending run's delivery reaches a free worker, which finds it cancelled and does nothing.
    await waitFor(
      async () => sys.workers.some((w) => w.log.includes(third) && w.log.includes('execution already claimed or finished; delivery ignored')),
      30_000,
      'the cancelled run’s delivery to be ignored',
    );
    expect(await get(third)).toMatchObject({ status: 'cancelled', started_at: null });
    expect(hangingRequests(third)).toHaveLength(0);

    // A finished execution cannot be stopped.
    const again = await api().call<{ message: string; execution_id: string }>('POST', `/api/executions/${first}/stop`);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ message: `execution ${first} is already cancelled`, execution_id: first });
  });

  it('409 for a finished execution (success), 404 for an unknown or malformed id', async () => {
    const job = await api().createJob({ name: 'quick', schedule: null, steps: [httpStep('a', { method: 'GET', url: `${fixture.url}/ok` })] });
    const id = await trigger(job.id);
    await waitStatus(id, 'success', 30_000);
    const r = await api().call<{ message: string }>('POST', `/api/executions/${id}/stop`);
    expect(r.status).toBe(409);
    expect(r.body.message).toBe(`execution ${id} is already success`);
    expect((await get(id)).cancel_requested_at).toBeNull();
    const unknown = await api().call<{ message: string }>('POST', '/api/executions/00000000-0000-4000-8000-000000000000/stop');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toBe('execution 00000000-0000-4000-8000-000000000000 not found');
    expect((await api().call('POST', '/api/executions/not-a-uuid/stop')).status).toBe(404);
  });

  it('allow_concurrent false: a manual trigger while a run is in progress is refused at once with its id; accepted again once it finished', async () => {
    const job = await hangJob('hang-exclusive', false);
    const running = await trigger(job.id);
    await waitRunningInStep(running);
    const refused = await api().call<{ message: string; execution_id: string }>('POST', `/api/jobs/${job.id}/trigger`);
    expect(refused.status).toBe(409);
    expect(refused.body.execution_id).toBe(running);
    expect(refused.body.message).toContain('does not allow concurrent runs');
    // Nothing was created for the refused trigger.
    expect((await api().executions(job.id)).total).toBe(1);

    expect((await api().call('POST', `/api/executions/${running}/stop`)).status).toBe(202);
    await waitStatus(running, 'cancelled', 5_000);
    // Concurrent triggers share the webhook's per-job lock: exactly one starts.
    const answers = await Promise.all(Array.from({ length: 6 }, () => api().call<{ execution_id: string }>('POST', `/api/jobs/${job.id}/trigger`)));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(5);
    const next = answers.find((a) => a.status === 202)!.body.execution_id;
    for (const a of answers.filter((x) => x.status === 409)) expect(a.body.execution_id).toBe(next);
    expect(next).not.toBe(running);
    await waitRunningInStep(next);
    expect((await api().call('POST', `/api/executions/${next}/stop`)).status).toBe(202);
    await waitStatus(next, 'cancelled', 5_000);
  });
});

import { Client } from 'pg';
import type { Execution } from './support/api-client';
import { HttpFixture, json } from './support/http-fixture';
import { waitFor } from './support/services';
import { TestSystem } from './support/system';

jest.setTimeout(120_000);

const httpStep = (id: string, config: Record<string, unknown>) => ({ id, name: id, type: 'http', condition: null, config });

interface FullExecution extends Execution {
  error: { message: string; step_id?: string; code?: string } | null;
}

interface Circuit {
  target: string;
  state: string;
  failure_count: number;
  retry_at: string | null;
  transitions: { from: string; to: string; at: string; reason: string }[];
}

const ms = (iso: string | null): number => (iso ? Date.parse(iso) : NaN);

/**
 * Overlap policies of scheduled fires, max_concurrent across two worker processes and circuit
 * breakers shared through Redis, against the built api + scheduler + two workers.
 */
describe('execution guards end to end (two workers)', () => {
  const sys = new TestSystem({
    name: 'e2e_guards',
    workers: 2,
    workerEnv: {
      WORKER_CONCURRENCY: '4',
      WORKER_SHUTDOWN_GRACE_MS: '1000',
      CIRCUIT_BREAKER_FAILURE_THRESHOLD: '3',
      CIRCUIT_BREAKER_OPEN_MS: '2000',
    },
  });
  /** Slow and hanging answers (the breaker of this target never opens: no failures). */
  const fixture = new HttpFixture();
  /** The target whose breaker opens: answers `status`. */
  const flaky = new HttpFixture();
  let flakyStatus = 503;
  /** Per tag (execution id): when its slow request got its answer. */
  const answeredAt = new Map<string, number>();
  const aborted: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let pg: Client;

  beforeAll(async () => {
    fixture
      .route('GET /slow', (req, res) => {
        const q = new URL(req.url, 'http://x').searchParams;
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        setTimeout(() => {
          inFlight--;
          answeredAt.set(q.get('tag') ?? '', Date.now());
          json(res, 200, { ok: true });
        }, Number(q.get('ms') ?? 1000));
      })
      .route('GET /hang', (req, res) => {
        res.on('close', () => {
          if (!res.writableEnded) aborted.push(new URL(req.url, 'http://x').searchParams.get('tag') ?? '');
        });
      });
    flaky.route('GET /status', (_req, res) => json(res, flakyStatus, { status: flakyStatus }));
    await Promise.all([fixture.start(), flaky.start()]);
    await sys.start();
    pg = new Client({ connectionString: sys.env.DATABASE_URL });
    await pg.connect();
  });

  afterAll(async () => {
    await sys.stop();
    await Promise.all([fixture.stop(), flaky.stop()]);
    await pg?.end();
  });

  afterEach(() => {
    const failed = (expect.getState() as { suppressedErrors: unknown[] }).suppressedErrors.length > 0;
    if (failed) process.stderr.write(sys.logs());
  });

  const api = () => sys.client;
  const get = (id: string) => api().ok<FullExecution>('GET', `/api/executions/${id}`);
  const all = async (jobId: string) => (await api().executions(jobId)).items as FullExecution[];
  const waitStatus = (id: string, status: string, timeout = 15_000) =>
    waitFor(async () => {
      const e = await get(id);
      return e.status === status ? e : null;
    }, timeout, `execution ${id} ${status}`);
  const trigger = async (jobId: string) => {
    const r = await api().call<{ execution_id: string }>('POST', `/api/jobs/${jobId}/trigger`);
    expect(r.status).toBe(202);
    return r.body.execution_id;
  };
  /** Stops whatever of the job still runs or waits (a stopped run wakes its waiter: repeated). */
  const stopActive = (jobId: string) =>
    waitFor(
      async () => {
        const active = (await all(jobId)).filter((e) => e.status === 'pending' || e.status === 'running');
        for (const e of active) await api().call('POST', `/api/executions/${e.id}/stop`);
        return active.length === 0;
      },
      20_000,
      `job ${jobId} to have no active execution`,
    );
  const skips = async (jobId: string) =>
    (await pg.query<{ reason: string; fire_time: Date }>('select reason, fire_time from schedule_skips where job_id=$1 order by fire_time', [jobId])).rows;

  it('overlap_policy queue: a fire during a run waits and runs after it (never in parallel); a second waiting fire is skipped with a reason', async () => {
    const job = await api().createJob({
      name: 'overlap-queue',
      schedule: { type: 'fixed_rate', interval_seconds: 1 },
      allow_concurrent: false,
      overlap_policy: 'queue',
      max_retries: 0,
      steps: [httpStep('slow', { method: 'GET', url: `${fixture.url}/slow?ms=2200&tag={{execution_id}}` })],
    });
    await waitFor(async () => (await all(job.id)).filter((e) => e.status === 'success').length >= 2 || null, 20_000, 'two runs of the queued job');
    await api().ok('POST', `/api/jobs/${job.id}/disable`);
    await stopActive(job.id);
    const items = await all(job.id);

    const runs = items.filter((e) => e.status === 'success').sort((a, b) => ms(a.started_at) - ms(b.started_at));
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < runs.length; i++) {
      // Not in parallel: each run started after the previous one ended (rows and the server agree).
      expect(ms(runs[i]!.started_at)).toBeGreaterThanOrEqual(ms(runs[i - 1]!.completed_at));
      const request = fixture.requestsTo('/slow').find((r) => r.url.includes(runs[i]!.id))!;
      expect(request.at).toBeGreaterThanOrEqual(answeredAt.get(runs[i - 1]!.id)!);
      // Not dropped: it fired while the previous one ran, and waited for it.
      expect(ms(runs[i]!.scheduled_for)).toBeLessThan(ms(runs[i - 1]!.completed_at));
    }
    // Fires that found one already waiting were skipped, with the reason recorded (the others
    // cancelled were stopped by this test after the job was disabled).
    const cancelled = items.filter((e) => e.status === 'cancelled' && e.error?.code === 'OVERLAP_QUEUE_FULL');
    expect(cancelled.length).toBeGreaterThanOrEqual(1);
    expect(items.filter((e) => e.status === 'cancelled' && e.error?.code !== 'OVERLAP_QUEUE_FULL').every((e) => e.error?.code === 'CANCELLED')).toBe(true);
    const reasons = (await skips(job.id)).map((s) => s.reason);
    expect(reasons.filter((r) => r === 'overlap_queue_full').length).toBe(cancelled.length);
    expect(reasons).not.toContain('previous_execution_still_running');
  });

  it('overlap_policy cancel_previous: the running execution is stopped (cancelled, naming the new fire) and the new fire runs', async () => {
    const job = await api().createJob({
      name: 'overlap-cancel',
      schedule: { type: 'fixed_rate', interval_seconds: 2 },
      allow_concurrent: false,
      overlap_policy: 'cancel_previous',
      max_retries: 0,
      steps: [httpStep('hang', { method: 'GET', url: `${fixture.url}/hang?tag={{execution_id}}`, timeout_seconds: 60 })],
    });
    const [first, second] = await waitFor(
      async () => {
        const items = (await all(job.id)).sort((a, b) => ms(a.scheduled_for) - ms(b.scheduled_for));
        const firstCancelled = items.findIndex((e) => e.status === 'cancelled');
        const next = items[firstCancelled + 1];
        if (firstCancelled < 0 || !next || !fixture.requestsTo('/hang').some((r) => r.url.includes(next.id))) return null;
        return [items[firstCancelled]!, next] as const;
      },
      20_000,
      'a run cancelled by the next fire, and that fire running',
    );
    await api().ok('POST', `/api/jobs/${job.id}/disable`);
    const stopped = await get(first.id);
    expect(stopped.status).toBe('cancelled');
    expect(stopped.error?.code).toBe('CANCELLED');
    expect(stopped.error?.step_id).toBe('hang');
    expect(stopped.error?.message).toContain(`stopped by scheduled fire ${second.scheduled_for} (execution ${second.id}, overlap_policy cancel_previous)`);
    // The step in flight was aborted through its signal.
    await waitFor(async () => aborted.includes(first.id), 5_000, `the fixture to see ${first.id}'s request aborted`);
    // The new fire ran after the cancelled one ended, not alongside it.
    expect(ms((await get(second.id)).started_at)).toBeGreaterThanOrEqual(ms(stopped.completed_at));
    // No fire was skipped for the overlap.
    expect((await skips(job.id)).map((s) => s.reason)).not.toContain('previous_execution_still_running');

    await stopActive(job.id);
  });

  it('max_concurrent: six triggers over two worker processes (4 slots each) never run more than two at once, and all run', async () => {
    const job = await api().createJob({
      name: 'limited',
      schedule: null,
      allow_concurrent: true,
      max_concurrent: 2,
      max_retries: 0,
      steps: [httpStep('slow', { method: 'GET', url: `${fixture.url}/slow?ms=1200&tag={{execution_id}}` })],
    });
    maxInFlight = 0;
    const ids = await Promise.all(Array.from({ length: 6 }, () => trigger(job.id)));
    for (const id of ids) await waitStatus(id, 'success', 20_000);
    expect(maxInFlight).toBe(2);
    const items = await all(job.id);
    expect(items.filter((e) => e.status === 'success')).toHaveLength(6);
    // From the rows too: at no run's start were more than two running.
    for (const e of items) {
      const overlapping = items.filter((o) => ms(o.started_at) <= ms(e.started_at) && ms(o.completed_at) > ms(e.started_at));
      expect(overlapping.length).toBeLessThanOrEqual(2);
    }
    const waited = await pg.query<{ n: number }>(`select count(*)::int as n from job_executions where job_id=$1 and wait_reason='max_concurrent'`, [job.id]);
    expect(waited.rows[0]!.n).toBeGreaterThanOrEqual(1);
  });

  it('circuit breaker: 503s open the breaker of the target, steps then fail fast, GET /api/system/circuits shows it; a probe closes it', async () => {
    const target = `127.0.0.1:${flaky.port}`;
    const job = await api().createJob({
      name: 'breaker',
      schedule: null,
      allow_concurrent: true,
      max_retries: 0,
      steps: [httpStep('call', { method: 'GET', url: `${flaky.url}/status` })],
    });
    for (let i = 1; i <= 3; i++) {
      const e = await waitStatus(await trigger(job.id), 'failed');
      expect(e.error?.message).toContain('HTTP 503');
      if (i === 2) {
        const { items } = await api().ok<{ items: Circuit[] }>('GET', '/api/system/circuits');
        expect(items.find((c) => c.target === target)).toMatchObject({ state: 'closed', failure_count: 2 });
      }
    }
    expect(flaky.requestsTo('/status')).toHaveLength(3);

    const fast = await waitStatus(await trigger(job.id), 'failed');
    expect(fast.error).toMatchObject({ message: `circuit open for ${target}`, code: 'CIRCUIT_OPEN', retryable: true, step_id: 'call' });
    expect(flaky.requestsTo('/status')).toHaveLength(3);

    const open = (await api().ok<{ items: Circuit[]; total: number }>('GET', '/api/system/circuits')).items.find((c) => c.target === target)!;
    expect(open).toMatchObject({ state: 'open', failure_count: 0 });
    expect(open.transitions).toHaveLength(1);
    expect(open.transitions[0]).toMatchObject({ from: 'closed', to: 'open' });
    expect(open.transitions[0]!.reason).toContain('3 failures within 60000 ms');
    // The other target (slow answers, no failures) has no breaker record.
    expect((await api().ok<{ items: Circuit[] }>('GET', '/api/system/circuits')).items.map((c) => c.target)).toEqual([target]);

    // The target recovers; once the open duration is over, the next call is the probe and closes it.
    flakyStatus = 200;
    await waitFor(async () => Date.now() > ms(open.retry_at) + 50, 10_000, 'the open duration to pass');
    await waitStatus(await trigger(job.id), 'success');
    expect(flaky.requestsTo('/status')).toHaveLength(4);
    const closed = (await api().ok<{ items: Circuit[] }>('GET', '/api/system/circuits')).items.find((c) => c.target === target)!;
    expect(closed.state).toBe('closed');
    expect(closed.transitions.map((t) => `${t.from}>${t.to}`)).toEqual(['half_open>closed', 'open>half_open', 'closed>open']);
    // Transitions are logged by the worker that made them, with the job, execution and step.
    const lines = sys.workers.flatMap((w) => w.log.split('\n')).filter((l) => l.includes('"circuit_to"') && l.includes(target));
    expect(lines.map((l) => (JSON.parse(l) as { circuit_to: string }).circuit_to).sort()).toEqual(['closed', 'half_open', 'open']);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ job_id: job.id, execution_id: expect.any(String), step_id: 'call', circuit_target: target });
  });
});

import { Client } from 'pg';
import type { Execution } from './support/api-client';
import { HttpFixture, json } from './support/http-fixture';
import { waitFor } from './support/services';
import { TestSystem } from './support/system';

jest.setTimeout(180_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const step = (url: string) => [{ id: 'a', name: 'a', type: 'http', condition: null, config: { method: 'GET', url } }];

describe('two schedulers and two workers', () => {
  const sys = new TestSystem({ name: 'e2e_cluster', schedulers: 2, workers: 2 });
  const fixture = new HttpFixture();

  beforeAll(async () => {
    fixture.route('GET /ok', (_req, res) => json(res, 200, { ok: true }));
    await fixture.start();
    await sys.start();
  });
  afterAll(async () => {
    await sys.stop();
    await fixture.stop();
  });

  it('exactly one execution per fire time over 60+ fires, none missed, across a leader hand-over', async () => {
    const jobs = [];
    for (let i = 0; i < 4; i++) {
      jobs.push(
        await sys.client.createJob({
          name: `every-second-${i}`,
          schedule: { type: 'cron', expression: '* * * * * ?', misfire_policy: 'fire_all', misfire_max_fires: 1000 },
          allow_concurrent: true,
          steps: step(`${fixture.url}/ok`),
        }),
      );
    }
    await sleep(8_000);
    // Hand leadership over: the current schedulers stop one by one while a new one starts.
    const s3 = sys.addScheduler();
    expect(await sys.schedulers[0]!.stop('SIGTERM')).toBe(0);
    await sleep(5_000);
    expect(await sys.schedulers[1]!.stop('SIGTERM')).toBe(0);
    await sleep(4_000);
    for (const j of jobs) await sys.client.ok('POST', `/api/jobs/${j.id}/disable`);
    expect(s3.child.exitCode).toBeNull();

    const pg = new Client({ connectionString: sys.env.DATABASE_URL });
    await pg.connect();
    try {
      await waitFor(async () => {
        const r = await pg.query(`select count(*)::int as n from job_executions where status in ('pending','running')`);
        return r.rows[0].n === 0;
      }, 30_000, 'all executions finished');
      let total = 0;
      for (const j of jobs) {
        const { items } = await sys.client.executions(j.id);
        const fires = items.map((e: Execution) => Date.parse(e.scheduled_for!)).sort((a, b) => a - b);
        // One execution per fire time…
        expect(new Set(fires).size).toBe(fires.length);
        // …and none missed: consecutive seconds from the first to the last.
        for (let i = 1; i < fires.length; i++) expect(fires[i]! - fires[i - 1]!).toBe(1000);
        expect(items.every((e: Execution) => e.status === 'success')).toBe(true);
        total += fires.length;
      }
      expect(total).toBeGreaterThanOrEqual(60);
      const workers = await pg.query(`select count(distinct worker_id)::int as n from job_executions`);
      expect(workers.rows[0].n).toBe(2);
      const dup = await pg.query(`select count(*)::int as n from (select job_id, scheduled_for from job_executions group by 1,2 having count(*) > 1) d`);
      expect(dup.rows[0].n).toBe(0);
    } finally {
      await pg.end();
    }
  });
});

describe('worker shutdown', () => {
  const sys = new TestSystem({ name: 'e2e_shutdown', schedulers: 0, workers: 1, workerEnv: { WORKER_SHUTDOWN_GRACE_MS: '10000' } });
  const fixture = new HttpFixture();

  beforeAll(async () => {
    fixture.route('GET /slow', (_req, res) => void setTimeout(() => json(res, 200, { done: true }), 2500));
    fixture.route('GET /forever', () => undefined);
    await fixture.start();
    await sys.start();
  });
  afterAll(async () => {
    await sys.stop();
    await fixture.stop();
  });

  it('SIGTERM mid-step: the step finishes, the execution succeeds, the worker exits 0', async () => {
    const job = await sys.client.createJob({ name: 'slow', schedule: null, steps: step(`${fixture.url}/slow`) });
    const { execution_id } = await sys.client.ok<{ execution_id: string }>('POST', `/api/jobs/${job.id}/trigger`);
    await waitFor(async () => fixture.requestsTo('/slow').length > 0, 30_000, 'the step to start');
    const t0 = Date.now();
    expect(await sys.workers[0]!.stop('SIGTERM')).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    const e = await sys.client.ok<Execution>('GET', `/api/executions/${execution_id}`);
    expect(e.status).toBe('success');
  });

  it('a step still running after the grace period is aborted: the execution ends failed, not running', async () => {
    const w = sys.addWorker({ WORKER_SHUTDOWN_GRACE_MS: '1000' });
    const job = await sys.client.createJob({ name: 'forever', schedule: null, max_retries: 0, steps: step(`${fixture.url}/forever`) });
    const { execution_id } = await sys.client.ok<{ execution_id: string }>('POST', `/api/jobs/${job.id}/trigger`);
    await waitFor(async () => fixture.requestsTo('/forever').length > 0, 30_000, 'the step to start');
    expect(await w.stop('SIGTERM')).toBe(0);
    const e = await sys.client.ok<Execution>('GET', `/api/executions/${execution_id}`);
    expect(e.status).toBe('failed');
    expect(e.error!.message).toContain('worker shut down');
  });

  it('a worker killed outright mid-step: the execution is resumed at that step on another worker and succeeds', async () => {
    let hung = 0;
    fixture.route('GET /hang-once', (_req, res) => void (++hung === 1 ? undefined : json(res, 200, { second: true })));
    const w = sys.addWorker({ WORKER_HEARTBEAT_MS: '1000' });
    const s = sys.addScheduler({ SCHEDULER_STALE_RUNNING_MS: '5000', SCHEDULER_RECOVERY_INTERVAL_MS: '1000' });
    const job = await sys.client.createJob({ name: 'resumed', schedule: null, steps: step(`${fixture.url}/hang-once`) });
    const { execution_id } = await sys.client.ok<{ execution_id: string }>('POST', `/api/jobs/${job.id}/trigger`);
    await waitFor(async () => hung > 0, 60_000, 'the step to start');
    await w.stop('SIGKILL');
    const other = sys.addWorker({ WORKER_HEARTBEAT_MS: '1000' });
    const e = await waitFor(async () => {
      const x = await sys.client.ok<Execution>('GET', `/api/executions/${execution_id}`);
      return x.status !== 'running' && x.status !== 'pending' ? x : null;
    }, 90_000, 'the resumed execution to finish');
    expect(e.status).toBe('success');
    expect(hung).toBe(2);
    const ctx = await sys.client.ok<{ steps: Record<string, { status: string }> }>('GET', `/api/executions/${execution_id}/context`);
    expect(ctx.steps.a!.status).toBe('success');
    // The next test runs alone with its own worker and scheduler.
    expect(await s.stop('SIGTERM')).toBe(0);
    expect(await other.stop('SIGTERM')).toBe(0);
  });

  it('a worker killed outright with no resume allowed: its execution is failed as worker lost, not left running', async () => {
    const w = sys.addWorker({ WORKER_HEARTBEAT_MS: '1000' });
    sys.addScheduler({ SCHEDULER_STALE_RUNNING_MS: '5000', SCHEDULER_RECOVERY_INTERVAL_MS: '1000', SCHEDULER_WORKER_LOST_MAX_RESUMES: '0' });
    const job = await sys.client.createJob({ name: 'killed', schedule: null, max_retries: 0, steps: step(`${fixture.url}/forever`) });
    const calls = fixture.requestsTo('/forever').length;
    const { execution_id } = await sys.client.ok<{ execution_id: string }>('POST', `/api/jobs/${job.id}/trigger`);
    await waitFor(async () => (await sys.client.ok<Execution>('GET', `/api/executions/${execution_id}`)).status === 'running', 30_000, 'running');
    // Killed inside the step (current_step set), not between the claim and the first step.
    await waitFor(async () => fixture.requestsTo('/forever').length > calls, 30_000, 'the step to start');
    await w.stop('SIGKILL');
    const e = await waitFor(async () => {
      const x = await sys.client.ok<Execution>('GET', `/api/executions/${execution_id}`);
      return x.status === 'failed' ? x : null;
    }, 30_000, 'worker lost');
    expect(e.error).toMatchObject({ code: 'WORKER_LOST', step_id: 'a' });
    expect(e.error!.message).toContain('worker lost');
  });
});

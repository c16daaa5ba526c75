import { IsInt, IsOptional, IsString } from 'class-validator';
import { randomUUID } from 'crypto';
import type { Database, ExecutionsRepository, JobsRepository } from '@vecron/db';
import { RetryableStepError, StepAbortedError, UnrecoverableStepError, type StepExecutor, type StepRunContext } from '@vecron/executors';
import { executionContextKey, jobDefinitionVersionKey, type InMemoryObjectStorage } from '@vecron/storage';
import type { ExecutionRunner } from '../src/executions/execution-runner.service';
import { resumeJobId } from '@vecron/queue';
import { createRunnerFixture, type RunnerFixture } from './runner.fixture';

class ScriptConfig {
  @IsString()
  mode!: string;

  @IsOptional() @IsInt()
  ms?: number;

  @IsOptional()
  value?: unknown;
}

/** A step type for tests: behaviour chosen by config. */
class ScriptExecutor implements StepExecutor<{ mode: string; ms?: number; value?: unknown }, unknown> {
  readonly type = 'script';
  readonly configClass = ScriptConfig;
  calls: { mode: string; attempt: number; id: unknown }[] = [];
  gate?: () => void;
  async execute(config: { mode: string; ms?: number; value?: unknown }, run: StepRunContext): Promise<unknown> {
    this.calls.push({ mode: config.mode, attempt: run.attempt, id: config.value });
    switch (config.mode) {
      case 'echo':
        return { value: config.value };
      case 'flaky':
        if (run.attempt < 3) throw new RetryableStepError('temporary', 'FLAKY');
        return { attempts: run.attempt };
      case 'broken':
        throw new UnrecoverableStepError('permanent', 'BROKEN');
      case 'gate':
        // Waits until the test opens the gate (ignores the signal: the step itself ends normally).
        await new Promise<void>((resolve) => (this.gate = resolve));
        return { gated: true };
      case 'wait':
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, config.ms ?? 10_000);
          run.signal.addEventListener('abort', () => {
            clearTimeout(t);
            reject(new StepAbortedError(run.signal.reason));
          });
        });
        return { waited: true };
      default:
        throw new Error(`unknown mode ${config.mode}`);
    }
  }
}

describe('ExecutionRunner (real PostgreSQL, in-memory storage)', () => {
  let db: Database;
  let jobs: JobsRepository;
  let executions: ExecutionsRepository;
  let storage: InMemoryObjectStorage;
  let script: ScriptExecutor;
  let runner: ExecutionRunner;
  let queue: RunnerFixture['queue'];
  let dispatcher: RunnerFixture['dispatcher'];
  let fixture: RunnerFixture;
  const id0 = 'flaky-1';

  beforeAll(async () => {
    script = new ScriptExecutor();
    fixture = await createRunnerFixture('vecron_test_worker', [script]);
    ({ db, jobs, executions, storage, runner, queue, dispatcher } = fixture);
  });
  afterAll(() => fixture.close());

  async function prepare(steps: unknown[], extra: Record<string, unknown> = {}): Promise<string> {
    const jobId = randomUUID();
    const definition = { name: 't', schedule: null, triggers: { scheduled: false, manual: true }, steps, timeout_seconds: 300, max_retries: 5, allow_concurrent: false, enabled: true, ...extra };
    await jobs.insert(jobId, {
      name: 't', description: null, enabled: true, definition_path: `jobs/${jobId}/definition.json`, schedule: null, schedule_type: null,
      timezone: null, scheduled_trigger: false, manual_trigger: true, webhook_enabled: false, allow_concurrent: false, next_run_at: null,
    });
    await storage.put(jobDefinitionVersionKey(jobId, 1), JSON.stringify(definition));
    return addExecution(jobId);
  }
  async function addExecution(jobId: string): Promise<string> {
    const id = randomUUID();
    await executions.insertPending({ id, job_id: jobId, idempotency_key: `manual:${id}`, trigger_source: 'manual', definition_version: 1, context_path: executionContextKey(jobId, id) });
    return id;
  }
  const step = (id: string, config: Record<string, unknown>, condition: string | null = null) => ({ id, name: id, type: 'script', condition, config });
  const contextOf = async (id: string) => {
    const e = (await executions.findById(id))!;
    return JSON.parse((await storage.get(e.context_path!)).toString());
  };

  it('runs steps in order, passes values through templates, saves the context', async () => {
    const id = await prepare([step('a', { mode: 'echo', value: 41 }), step('b', { mode: 'echo', value: '{{steps.a.output.value}}' })]);
    expect(await runner.run(id)).toBe('success');
    const ctx = await contextOf(id);
    expect(ctx.steps.b.output).toEqual({ value: 41 });
    const e = (await executions.findById(id))!;
    expect(e).toMatchObject({ status: 'success', current_step: 'b' });
  });

  it('a second delivery of the same execution does nothing', async () => {
    const id = await prepare([step('a', { mode: 'echo', value: 1 })]);
    const calls = script.calls.length;
    const [first, second] = await Promise.all([runner.run(id), runner.run(id)]);
    expect([first, second].filter((s) => s === 'success')).toHaveLength(1);
    expect([first, second]).toContain(null);
    expect(script.calls.length - calls).toBe(1);
  });

  it('a worker taken for dead (its execution resumed elsewhere) cannot end the row its successor now runs', async () => {
    const id = await prepare([step('g', { mode: 'gate' })]);
    const run = runner.run(id);
    for (let i = 0; i < 500 && script.gate === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    // Recovery gave the execution to another worker meanwhile (markWaiting + that worker's resume claim).
    await db.query(`update job_executions set worker_id = 'w-successor' where id = $1`, [id]);
    script.gate!();
    script.gate = undefined;
    expect(await run).toBe('running');
    const row = (await executions.findById(id))!;
    expect(row).toMatchObject({ status: 'running', worker_id: 'w-successor', completed_at: null });
    expect(await executions.listAttempts(id)).toEqual([]);
  });

  const attemptsOf = async (id: string) =>
    (await executions.listAttempts(id)).map((a) => ({ step_id: a.step_id, attempt: a.attempt, status: a.status, error_code: a.error_code }));
  const resumeJob = async (id: string) => {
    const e = (await executions.findById(id))!;
    return e.next_attempt_at ? queue.getJob(resumeJobId(id, e.next_attempt_at)) : null;
  };

  describe('retries: a delayed resume at the failed step', () => {
    it('a retryable failure leaves the execution running, held by no worker, with a delayed resume job; resumes run only the failed step and later ones', async () => {
      const id = await prepare([step('a', { mode: 'echo', value: 'once' }), step('f', { mode: 'flaky', value: id0 }), step('z', { mode: 'echo', value: '{{steps.a.output.value}}' })]);
      const before = Date.now();
      expect(await runner.run(id)).toBe('running');
      const waiting = (await executions.findById(id))!;
      expect(waiting).toMatchObject({ status: 'running', worker_id: null, resume_step: 'f', current_step: 'f', attempt: 2 });
      // Default schedule, first retry: 5 s (the fixture's random source gives no jitter).
      expect(waiting.next_attempt_at!.getTime() - before).toBeGreaterThanOrEqual(4_900);
      expect(waiting.next_attempt_at!.getTime() - before).toBeLessThan(6_000);
      const job = (await resumeJob(id))!;
      expect(job.data).toEqual({ execution_id: id, job_id: waiting.job_id, resume: true, next_attempt_at: waiting.next_attempt_at!.getTime() });
      expect(await job.isDelayed()).toBe(true);
      expect(job.opts.delay).toBeGreaterThan(4_000);
      // Not running on this worker meanwhile, and not a lost worker for the heartbeat sweep.
      expect(runner.activeCount).toBe(0);
      expect((await executions.findStaleRunning(new Date(Date.now() + 3_600_000), 1000)).map((e) => e.id)).not.toContain(id);

      expect(await runner.resume(id)).toBe('running');
      expect((await executions.findById(id))!).toMatchObject({ attempt: 3, resume_step: 'f' });
      expect(await runner.resume(id)).toBe('success');
      const calls = script.calls.filter((c) => c.id === 'once' || c.id === id0);
      // a once; f three times; z (whose value is a's output, from the saved context) once.
      expect(calls.map((c) => [c.mode, c.attempt])).toEqual([['echo', 1], ['flaky', 1], ['flaky', 2], ['flaky', 3], ['echo', 1]]);
      const ctx = await contextOf(id);
      expect(ctx.steps.a.output).toEqual({ value: 'once' });
      expect(ctx.steps.f.output).toEqual({ attempts: 3 });
      expect(ctx.steps.z.output).toEqual({ value: 'once' });
      expect(await attemptsOf(id)).toEqual([
        { step_id: 'a', attempt: 1, status: 'success', error_code: null },
        { step_id: 'f', attempt: 1, status: 'failed', error_code: 'FLAKY' },
        { step_id: 'f', attempt: 2, status: 'failed', error_code: 'FLAKY' },
        { step_id: 'f', attempt: 3, status: 'success', error_code: null },
        { step_id: 'z', attempt: 1, status: 'success', error_code: null },
      ]);
      expect((await executions.findById(id))!).toMatchObject({ status: 'success', next_attempt_at: null });
    });

    it('of two deliveries of the same resume exactly one runs it', async () => {
      const id = await prepare([step('f', { mode: 'flaky', value: 'dup' })], { max_retries: 5 });
      expect(await runner.run(id)).toBe('running');
      // Both deliveries are of the same wait (its Bull job carries next_attempt_at): the one that
      // comes after the first has made the execution wait again does not take the new wait.
      const wait = (await executions.findById(id))!.next_attempt_at!.getTime();
      const results = await Promise.all([runner.resume(id, wait), runner.resume(id, wait)]);
      expect(results).toContain(null);
      expect(results).toContain('running');
      expect(script.calls.filter((c) => c.id === 'dup')).toHaveLength(2);
    });

    it('exhausted retries end dead_letter; an error that is not retryable fails at once without a resume', async () => {
      const id = await prepare([step('f', { mode: 'flaky', value: 'dl' })], { max_retries: 1 });
      expect(await runner.run(id)).toBe('running');
      expect(await runner.resume(id)).toBe('dead_letter');
      expect((await executions.findById(id))!).toMatchObject({ status: 'dead_letter', next_attempt_at: null, error: { step_id: 'f', code: 'FLAKY', retryable: true } });
      expect(await attemptsOf(id)).toEqual([
        { step_id: 'f', attempt: 1, status: 'failed', error_code: 'FLAKY' },
        { step_id: 'f', attempt: 2, status: 'failed', error_code: 'FLAKY' },
      ]);
      // Never resumed again.
      expect(await runner.resume(id)).toBeNull();

      const broken = await prepare([step('ok', { mode: 'echo', value: 'kept' }), step('x', { mode: 'broken' })]);
      expect(await runner.run(broken)).toBe('failed');
      expect(await resumeJob(broken)).toBeNull();
      const e = (await executions.findById(broken))!;
      expect(e.error).toMatchObject({ step_id: 'x', code: 'BROKEN', retryable: false });
      const ctx = await contextOf(broken);
      expect(ctx.steps.ok.output).toEqual({ value: 'kept' });
      expect(ctx.steps.x).toMatchObject({ status: 'failed', error: { message: 'permanent' } });
    });

    it("a step's retry overrides the job's: max_retries 0 fails at once (failed, retries off), delays_seconds sets the wait", async () => {
      const once = await prepare([{ ...step('f', { mode: 'flaky', value: 'once0' }), retry: { max_retries: 0 } }], { max_retries: 3 });
      expect(await runner.run(once)).toBe('failed');
      expect((await executions.findById(once))!.error).toMatchObject({ step_id: 'f', code: 'FLAKY', retryable: true });
      expect(script.calls.filter((c) => c.id === 'once0')).toHaveLength(1);
      const quick = await prepare([{ ...step('f', { mode: 'flaky', value: 'quick' }), retry: { delays_seconds: [1], jitter: 0 } }], { retry: { delays_seconds: [600] } });
      const before = Date.now();
      expect(await runner.run(quick)).toBe('running');
      const waitMs = (await executions.findById(quick))!.next_attempt_at!.getTime() - before;
      expect(waitMs).toBeGreaterThanOrEqual(900);
      expect(waitMs).toBeLessThan(2_000);
    });

    it('a stop during the wait ends it cancelled and removes the delayed job; the resume then does nothing', async () => {
      const id = await prepare([step('f', { mode: 'flaky', value: 'stopped' })]);
      expect(await runner.run(id)).toBe('running');
      const job = (await resumeJob(id))!;
      const outcome = await executions.requestStop(id, { by: 'api' });
      expect(outcome.outcome).toBe('cancelled');
      if (outcome.outcome !== 'cancelled') throw new Error('unreachable');
      await dispatcher.cancelResume(outcome.execution);
      expect(await queue.getJob(job.id)).toBeNull();
      expect((await executions.findById(id))!).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } });
      expect(await runner.resume(id)).toBeNull();
      expect(script.calls.filter((c) => c.id === 'stopped')).toHaveLength(1);
    });

    it('the job timeout still applies: the wait ends at the deadline and the resume ends it timeout', async () => {
      const id = await prepare([step('f', { mode: 'flaky', value: 'late' })], { timeout_seconds: 1 });
      expect(await runner.run(id)).toBe('running');
      const e = (await executions.findById(id))!;
      // Default first delay is 5 s, cut to the deadline (started_at + 1 s).
      expect(e.next_attempt_at!.getTime()).toBeLessThanOrEqual(e.started_at!.getTime() + 1_050);
      await new Promise((r) => setTimeout(r, Math.max(0, e.next_attempt_at!.getTime() - Date.now()) + 20));
      expect(await runner.resume(id)).toBe('timeout');
      expect((await executions.findById(id))!.error).toMatchObject({ step_id: 'f' });
      expect(script.calls.filter((c) => c.id === 'late')).toHaveLength(1);
    });

    it('scheduleResume resumes a running execution whose worker is gone at a given step, from its saved context (recovery path)', async () => {
      const id = await prepare([step('a', { mode: 'echo', value: 'first' }), step('b', { mode: 'echo', value: '{{steps.a.output.value}}' })]);
      expect(await runner.run(id)).toBe('success');
      // Make it look like a run whose worker died during b.
      await db.query(`update job_executions set status='running', completed_at=null, worker_id='dead-worker', current_step='b' where id=$1`, [id]);
      expect(await dispatcher.scheduleResume(id, 'b', 0, { attempt: 2 })).toMatchObject({ worker_id: null, resume_step: 'b', attempt: 2 });
      expect(await runner.resume(id)).toBe('success');
      // a ran once (first run); b ran in the first run and again, resumed as attempt 2, with a's output from the saved context.
      expect(script.calls.filter((c) => c.id === 'first').map((c) => c.attempt)).toEqual([1, 1, 2]);
      expect((await contextOf(id)).steps.b.output).toEqual({ value: 'first' });
    });

    it('a replay from the failed step starts there with the original context before it', async () => {
      const original = await prepare([step('a', { mode: 'echo', value: 'orig' }), step('x', { mode: 'broken' })]);
      expect(await runner.run(original)).toBe('failed');
      const o = (await executions.findById(original))!;
      const replay = randomUUID();
      await executions.insertPending({
        id: replay, job_id: o.job_id, idempotency_key: `replay:${replay}`, trigger_source: 'replay', definition_version: 1,
        context_path: executionContextKey(o.job_id, replay), replay_of: original, resume_step: 'x',
      });
      const echoes = script.calls.filter((c) => c.id === 'orig').length;
      expect(await runner.run(replay)).toBe('failed');
      expect(script.calls.filter((c) => c.id === 'orig').length).toBe(echoes);
      const ctx = await contextOf(replay);
      expect(ctx.execution_id).toBe(replay);
      expect(ctx.steps.a.output).toEqual({ value: 'orig' });
      expect(await attemptsOf(replay)).toEqual([{ step_id: 'x', attempt: 1, status: 'failed', error_code: 'BROKEN' }]);
    });
  });

  it('the job timeout aborts the step in flight through its AbortSignal', async () => {
    const id = await prepare([step('w', { mode: 'wait', ms: 30_000 })], { timeout_seconds: 1 });
    const t0 = Date.now();
    expect(await runner.run(id)).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(5_000);
    const e = (await executions.findById(id))!;
    expect(e.error!.message).toContain('timeout_seconds=1');
    expect(e.error!.step_id).toBe('w');
  });

  it('skips a step whose condition is false and records it', async () => {
    const id = await prepare([step('a', { mode: 'echo', value: 0 }), step('b', { mode: 'echo', value: 1 }, 'steps.a.output.value > 0'), step('c', { mode: 'echo', value: 2 }, '!exists(steps.b.output)')]);
    expect(await runner.run(id)).toBe('success');
    const ctx = await contextOf(id);
    expect(ctx.steps.b.status).toBe('skipped');
    expect(ctx.steps.c.output).toEqual({ value: 2 });
  });

  it('fails clearly when the definition version is missing', async () => {
    const id = await prepare([step('a', { mode: 'echo' })]);
    const e = (await executions.findById(id))!;
    await storage.delete(jobDefinitionVersionKey(e.job_id, 1));
    expect(await runner.run(id)).toBe('failed');
    expect((await executions.findById(id))!.error!.message).toContain('definition version 1 could not be loaded');
  });

  it('a missing template path fails the step naming the path', async () => {
    const id = await prepare([step('a', { mode: 'echo', value: '{{steps.a.output.nope}}' })]);
    expect(await runner.run(id)).toBe('failed');
    expect((await executions.findById(id))!.error!.message).toContain('steps.a');
  });

  it('abortAll ends in-flight executions as failed (shutdown), never running', async () => {
    const id = await prepare([step('w', { mode: 'wait', ms: 30_000 })]);
    const p = runner.run(id);
    await new Promise((r) => setTimeout(r, 200));
    expect(runner.activeCount).toBe(1);
    runner.abortAll('shutdown', 'worker shut down');
    expect(await p).toBe('failed');
    await runner.idle();
    expect((await executions.findById(id))!.error!.message).toContain('worker shut down');
  });

  it('allow_concurrent=false: a run that starts while another runs is skipped (cancelled), not run', async () => {
    const first = await prepare([step('w', { mode: 'wait', ms: 800 })]);
    const jobId = (await executions.findById(first))!.job_id;
    const second = await addExecution(jobId);
    const p = runner.run(first);
    await new Promise((r) => setTimeout(r, 100));
    expect(await runner.run(second)).toBe('cancelled');
    expect(await p).toBe('success');
    const e = (await executions.findById(second))!;
    expect(e.error).toMatchObject({ code: 'CONCURRENT_RUN' });
    expect(e.error!.message).toContain('still running');
    // Once the first has ended, a new run of the same job goes ahead.
    expect(await runner.run(await addExecution(jobId))).toBe('success');
  });

  describe('stop (POST /api/executions/:id/stop)', () => {
    const until = async (cond: () => boolean): Promise<void> => {
      while (!cond()) await new Promise((r) => setTimeout(r, 10));
    };
    const expectStopped = async (id: string, at: Date, stepId?: string) => {
      const e = (await executions.findById(id))!;
      expect(e.status).toBe('cancelled');
      expect(e.error).toEqual({ code: 'CANCELLED', message: `stopped by api at ${at.toISOString()}`, ...(stepId ? { step_id: stepId } : {}) });
      return e;
    };

    it('the worker holding it aborts the step in flight through its signal; the context is saved with the step failed', async () => {
      const id = await prepare([step('w', { mode: 'wait', ms: 30_000 }), step('next', { mode: 'echo', value: 1 })]);
      const before = script.calls.length;
      const p = runner.run(id);
      await until(() => script.calls.length > before);
      const r = await executions.requestStop(id, { by: 'api' });
      expect(r.outcome).toBe('running');
      const at = (await executions.findById(id))!.cancel_requested_at!;
      expect(runner.stop({ execution_id: id, requested_at: at, requested_by: 'api', requested_by_user_id: null })).toBe(true);
      expect(await p).toBe('cancelled');
      await expectStopped(id, at, 'w');
      const ctx = await contextOf(id);
      expect(ctx.steps.w).toMatchObject({ status: 'failed', error: { message: `stopped by api at ${at.toISOString()}` } });
      expect(ctx.steps.next).toBeUndefined();
      // Another worker receiving the same announcement does not hold it.
      expect(runner.stop({ execution_id: id, requested_at: at, requested_by: 'api', requested_by_user_id: null })).toBe(false);
    });

    it('a stop recorded before the claim ends the run before its first step (context saved)', async () => {
      const id = await prepare([step('a', { mode: 'echo', value: 1 })]);
      const calls = script.calls.length;
      // As if the api flagged it in the instant between its read and the worker's claim.
      await db.query(`update job_executions set cancel_requested_at=now(), cancel_requested_by='api' where id=$1`, [id]);
      const at = (await executions.findById(id))!.cancel_requested_at!;
      expect(await runner.run(id)).toBe('cancelled');
      await expectStopped(id, at);
      expect(script.calls.length).toBe(calls);
      expect((await contextOf(id)).steps).toEqual({});
    });

    it('a stop whose announcement was missed is seen between steps', async () => {
      const id = await prepare([step('g', { mode: 'gate' }), step('next', { mode: 'echo', value: 2 })]);
      const p = runner.run(id);
      await until(() => script.gate !== undefined);
      await executions.requestStop(id, { by: 'api' });
      const at = (await executions.findById(id))!.cancel_requested_at!;
      script.gate!();
      script.gate = undefined;
      expect(await p).toBe('cancelled');
      await expectStopped(id, at);
      const ctx = await contextOf(id);
      expect(ctx.steps.g.status).toBe('success');
      expect(ctx.steps.next).toBeUndefined();
    });

    it('a stop whose announcement was missed is seen at the heartbeat', async () => {
      const id = await prepare([step('w', { mode: 'wait', ms: 30_000 })]);
      const before = script.calls.length;
      const p = runner.run(id);
      await until(() => script.calls.length > before);
      await executions.requestStop(id, { by: 'api' });
      const at = (await executions.findById(id))!.cancel_requested_at!;
      await runner.heartbeat();
      expect(await p).toBe('cancelled');
      await expectStopped(id, at, 'w');
    });
  });

  describe('fires delivered ahead of their instant, and claims made together', () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    it('the dispatcher delivers a scheduled fire the lead ahead, carrying its instant and definition version', async () => {
      const [ahead, atDue] = [randomUUID(), randomUUID()];
      const dueAt = Date.now() + 10_000;
      await dispatcher.enqueueMany([{ id: ahead, job_id: randomUUID(), scheduled_for: new Date(dueAt), definition_version: 3 }], undefined, 2_000);
      await dispatcher.enqueueMany([{ id: atDue, job_id: randomUUID(), scheduled_for: new Date(dueAt), definition_version: 3 }]);
      const a = (await queue.getJob(ahead))!;
      expect(a.data).toMatchObject({ due_at: dueAt, definition_version: 3 });
      expect(a.opts.delay).toBeGreaterThan(7_000);
      expect(a.opts.delay).toBeLessThanOrEqual(8_000);
      const b = (await queue.getJob(atDue))!;
      expect(b.data.due_at).toBeUndefined();
      expect(b.opts.delay).toBeGreaterThan(9_000);
      // A burst enqueued together is delivered 1 ms apart (the workers share it), all due at the same instant.
      const burst = [randomUUID(), randomUUID(), randomUUID()];
      await dispatcher.enqueueMany(burst.map((id) => ({ id, job_id: randomUUID(), scheduled_for: new Date(dueAt), definition_version: 3 })), undefined, 2_000);
      const jobs = await Promise.all(burst.map(async (id) => (await queue.getJob(id))!));
      expect(jobs.map((j) => j.data.due_at)).toEqual([dueAt, dueAt, dueAt]);
      const delays = jobs.map((j) => j.opts.delay!);
      expect([delays[1]! - delays[0]!, delays[2]! - delays[1]!]).toEqual([1, 1]);
      expect(delays[2]).toBeLessThanOrEqual(8_002);
    });

    it('is prepared, claimed at its instant with its first step recorded by the claim, and its context first written after that step', async () => {
      const id = await prepare([step('a', { mode: 'echo', value: 1 }), step('b', { mode: 'echo', value: 2 })]);
      const jobId = (await executions.findById(id))!.job_id;
      const setCurrentStep = jest.spyOn(executions, 'setCurrentStep');
      const put = jest.spyOn(storage, 'put');
      const dueAt = Date.now() + 600;
      const run = runner.run(id, { jobId, definitionVersion: 1, dueAt });
      await sleep(300);
      expect((await executions.findById(id))!.status).toBe('pending');
      // A duplicate delivery, due at the same instant: one of the two runs it.
      expect((await Promise.all([run, runner.run(id, { jobId, definitionVersion: 1, dueAt })])).sort()).toEqual([null, 'success'].sort());
      const row = (await executions.findById(id))!;
      expect(row.started_at!.getTime()).toBeGreaterThanOrEqual(dueAt);
      expect(row).toMatchObject({ status: 'success', current_step: 'b' });
      expect(setCurrentStep.mock.calls.filter(([e]) => e === id).map(([, s]) => s)).toEqual(['b']);
      const saves = put.mock.calls.filter(([key]) => key === executionContextKey(jobId, id));
      expect(saves).toHaveLength(2);
      expect(JSON.parse(saves[0]![1] as string).steps).toHaveProperty('a');
      jest.restoreAllMocks();
    });

    it('claims asked for in the same turn share one statement; each run gets its own row', async () => {
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push(await prepare([step('only', { mode: 'echo', value: i })]));
      const many = jest.spyOn(executions, 'claimManyWithVariables');
      const one = jest.spyOn(executions, 'claimWithVariables');
      expect(await Promise.all(ids.map((id) => runner.run(id)))).toEqual(['success', 'success', 'success']);
      expect(many).toHaveBeenCalledTimes(1);
      expect(many.mock.calls[0]![0].map((c) => c.id).sort()).toEqual([...ids].sort());
      expect(one).not.toHaveBeenCalled();
      for (const id of ids) expect((await executions.findById(id))!.status).toBe('success');
      jest.restoreAllMocks();
    });

    it('a batch that fails as a whole (two exclusive runs of one job) is claimed one by one: one runs, the other is skipped', async () => {
      // The step lasts long enough for the other claim to meet the run in flight.
      const id = await prepare([step('only', { mode: 'wait', ms: 500 })]);
      const other = await addExecution((await executions.findById(id))!.job_id);
      const many = jest.spyOn(executions, 'claimManyWithVariables');
      const results = await Promise.all([runner.run(id), runner.run(other)]);
      expect(results.sort()).toEqual(['cancelled', 'success']);
      expect(many).toHaveBeenCalledTimes(1);
      jest.restoreAllMocks();
    });

    it('a worker shutting down gives up a prepared fire before its instant: it stays pending for the scheduler to enqueue again', async () => {
      const own = await createRunnerFixture('vecron_test_worker_prepared', [script]);
      try {
        const jobId = randomUUID();
        await own.jobs.insert(jobId, {
          name: 't', description: null, enabled: true, definition_path: `jobs/${jobId}/definition.json`, schedule: null, schedule_type: null,
          timezone: null, scheduled_trigger: false, manual_trigger: true, webhook_enabled: false, allow_concurrent: false, next_run_at: null,
        });
        await own.storage.put(jobDefinitionVersionKey(jobId, 1), JSON.stringify({ name: 't', steps: [step('a', { mode: 'echo', value: 1 })], timeout_seconds: 60 }));
        const id = randomUUID();
        await own.executions.insertPending({ id, job_id: jobId, idempotency_key: `manual:${id}`, trigger_source: 'manual', definition_version: 1, context_path: executionContextKey(jobId, id) });
        const run = own.runner.run(id, { jobId, definitionVersion: 1, dueAt: Date.now() + 10_000 });
        await sleep(100);
        let idle = false;
        const waited = own.runner.idle().then(() => (idle = true));
        await sleep(100);
        expect(idle).toBe(false); // a prepared fire counts as in flight
        own.runner.abortAll('shutdown', 'test shutdown');
        expect(await run).toBeNull();
        await waited;
        expect((await own.executions.findById(id))!).toMatchObject({ status: 'pending', worker_id: null });
      } finally {
        await own.close();
      }
    });
  });
});


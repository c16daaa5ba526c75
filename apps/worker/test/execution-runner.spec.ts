import { IsInt, IsOptional, IsString } from 'class-validator';
import { randomUUID } from 'crypto';
import type { Database, ExecutionsRepository, JobsRepository } from '@vecron/db';
import { RetryableStepError, StepAbortedError, UnrecoverableStepError, type StepExecutor, type StepRunContext } from '@vecron/executors';
import { executionContextKey, jobDefinitionVersionKey, type InMemoryObjectStorage } from '@vecron/storage';
import type { ExecutionRunner } from '../src/executions/execution-runner.service';
import { createRunnerFixture } from './runner.fixture';

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

  beforeAll(async () => {
    script = new ScriptExecutor();
    ({ db, jobs, executions, storage, runner } = await createRunnerFixture('vecron_test_worker', [script], { WORKER_RETRY_BASE_BACKOFF_MS: '10' }));
  });
  afterAll(() => db.close());

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

  it('retries retryable errors with back-off, not unrecoverable ones', async () => {
    const flaky = await prepare([step('f', { mode: 'flaky' })]);
    expect(await runner.run(flaky)).toBe('success');
    expect((await contextOf(flaky)).steps.f.output).toEqual({ attempts: 3 });
    const broken = await prepare([step('ok', { mode: 'echo', value: 'kept' }), step('x', { mode: 'broken' })]);
    const before = script.calls.filter((c) => c.mode === 'broken').length;
    expect(await runner.run(broken)).toBe('failed');
    expect(script.calls.filter((c) => c.mode === 'broken').length - before).toBe(1);
    const e = (await executions.findById(broken))!;
    expect(e.error).toMatchObject({ step_id: 'x', code: 'BROKEN', retryable: false });
    const ctx = await contextOf(broken);
    expect(ctx.steps.ok.output).toEqual({ value: 'kept' });
    expect(ctx.steps.x).toMatchObject({ status: 'failed', error: { message: 'permanent' } });
  });

  it('gives up after max_retries', async () => {
    const id = await prepare([step('f', { mode: 'flaky' })], { max_retries: 1 });
    expect(await runner.run(id)).toBe('failed');
  });

  it("a step's retry overrides the job's: retry.max_retries 0 is not retried although the job allows 3", async () => {
    const callsOf = (id: string) => script.calls.filter((c) => c.mode === 'flaky' && c.id === id).length;
    const once = await prepare([{ ...step('f', { mode: 'flaky', value: 'once' }), retry: { max_retries: 0 } }], { max_retries: 3 });
    expect(await runner.run(once)).toBe('failed');
    expect(callsOf('once')).toBe(1);
    expect((await executions.findById(once))!.error).toMatchObject({ step_id: 'f', code: 'FLAKY', retryable: true });
    // The same step without the override is retried under the job's max_retries and succeeds on its third attempt.
    const job = await prepare([step('f', { mode: 'flaky', value: 'job' })], { max_retries: 3 });
    expect(await runner.run(job)).toBe('success');
    expect(callsOf('job')).toBe(3);
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
});

import { IsString } from 'class-validator';
import { randomUUID } from 'crypto';
import type { ExecutionsRepository, JobsRepository } from '@vecron/db';
import type { StepExecutor, StepRunContext } from '@vecron/executors';
import { executionContextKey, jobDefinitionVersionKey, StorageUnavailableError, type InMemoryObjectStorage } from '@vecron/storage';
import type { ExecutionRunner } from '../src/executions/execution-runner.service';
import { createRunnerFixture } from './runner.fixture';

class EchoConfig {
  @IsString()
  value!: string;
}

/** Counts its runs per step: a step must never run twice because a store was down. */
class EchoExecutor implements StepExecutor<{ value: string }, unknown> {
  readonly type = 'echo';
  readonly configClass = EchoConfig;
  runs: string[] = [];
  async execute(config: { value: string }, run: StepRunContext): Promise<unknown> {
    this.runs.push(`${run.executionId}:${run.stepId}`);
    return { value: config.value };
  }
}

/** An error as node-postgres raises it when the server refuses connections (restarting). */
const pgDown = (): Error => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('worker through outages of its own stores (real PostgreSQL, in-memory storage with injected failures)', () => {
  let jobs: JobsRepository;
  let executions: ExecutionsRepository;
  let storage: InMemoryObjectStorage;
  let echo: EchoExecutor;
  let runner: ExecutionRunner;

  beforeAll(async () => {
    echo = new EchoExecutor();
    ({ jobs, executions, storage, runner, close } = await createRunnerFixture('vecron_test_worker_outage', [echo], {
      WORKER_STORE_RETRY_BASE_MS: '10',
      WORKER_STORE_RETRY_MAX_DELAY_MS: '40',
      WORKER_STORE_RETRY_MAX_WAIT_MS: '1500',
    }));
  });
  let close: () => Promise<void>;
  afterAll(() => close());
  afterEach(() => jest.restoreAllMocks());

  async function prepare(): Promise<{ jobId: string; id: string }> {
    const jobId = randomUUID();
    const steps = ['one', 'two', 'three'].map((id) => ({ id, name: id, type: 'echo', condition: null, config: { value: id } }));
    const definition = { name: 't', schedule: null, triggers: { scheduled: false, manual: true }, steps, timeout_seconds: 300, max_retries: 0, allow_concurrent: true, enabled: true };
    await jobs.insert(jobId, {
      name: 't', description: null, enabled: true, definition_path: `jobs/${jobId}/definition.json`, schedule: null, schedule_type: null,
      timezone: null, scheduled_trigger: false, manual_trigger: true, webhook_enabled: false, allow_concurrent: true, next_run_at: null,
    });
    await storage.put(jobDefinitionVersionKey(jobId, 1), JSON.stringify(definition));
    const id = randomUUID();
    await executions.insertPending({ id, job_id: jobId, idempotency_key: `manual:${id}`, trigger_source: 'manual', definition_version: 1, context_path: executionContextKey(jobId, id), exclusive: false });
    return { jobId, id };
  }

  /** Makes the next `failures` context saves (puts of context.json) fail as an unreachable S3 server would. */
  function failContextSaves(failures: number, from = 0): { attempts: () => number } {
    const put = storage.put.bind(storage);
    let n = 0;
    jest.spyOn(storage, 'put').mockImplementation(async (key, body, options) => {
      if (key.endsWith('/context.json')) {
        n++;
        if (n > from && n <= from + failures) throw new StorageUnavailableError('object storage unreachable: connect ECONNREFUSED');
      }
      return put(key, body, options);
    });
    return { attempts: () => n };
  }

  const contextOf = async (jobId: string, id: string) => JSON.parse((await storage.get(executionContextKey(jobId, id))).toString());

  it('S3 down while a step’s result is saved: the save waits and the run carries on; no step runs twice', async () => {
    const { jobId, id } = await prepare();
    // Saves (none before the first step of a fresh run): 1 after "one" (fails 4 times), 2 after "two", 3 after "three".
    const saves = failContextSaves(4);
    expect(await runner.run(id)).toBe('success');
    expect(saves.attempts()).toBe(4 + 3);
    expect(echo.runs.filter((r) => r.startsWith(id))).toEqual([`${id}:one`, `${id}:two`, `${id}:three`]);
    const ctx = await contextOf(jobId, id);
    expect(Object.values(ctx.steps).map((s) => (s as { status: string }).status)).toEqual(['success', 'success', 'success']);
  });

  it('S3 down at the start (definition and first save) is waited for too', async () => {
    const { id } = await prepare();
    const get = storage.get.bind(storage);
    let gets = 0;
    jest.spyOn(storage, 'get').mockImplementation(async (key) => {
      if (key.includes('/versions/') && ++gets <= 2) throw new StorageUnavailableError('object storage unreachable');
      return get(key);
    });
    failContextSaves(2);
    // A definition version cached by an earlier test would hide the failure: this job is new.
    expect(await runner.run(id)).toBe('success');
    expect(gets).toBe(3);
  });

  it('S3 down longer than the worker waits: handed over to a delayed resume at the unsaved step, which then carries on', async () => {
    const { jobId, id } = await prepare();
    failContextSaves(1_000, 1); // "one" is saved; "two" is not while S3 stays down
    const t0 = Date.now();
    expect(await runner.run(id)).toBe('running');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    const row = (await executions.findById(id))!;
    expect(row).toMatchObject({ status: 'running', worker_id: null, resume_step: 'two', attempt: 1 });
    expect(row.next_attempt_at).not.toBeNull();
    // The unsaved step is not reported: not in the saved context, no success attempt recorded for it.
    jest.restoreAllMocks();
    expect((await contextOf(jobId, id)).steps.two).toBeUndefined();
    expect((await executions.listAttempts(id)).map((a) => [a.step_id, a.status])).toEqual([['one', 'success']]);

    // S3 is back: the resume (the delayed Bull job's delivery) runs "two" again and "three".
    expect(await runner.resume(id)).toBe('success');
    expect(echo.runs.filter((r) => r.startsWith(id))).toEqual([`${id}:one`, `${id}:two`, `${id}:two`, `${id}:three`]);
    const ctx = await contextOf(jobId, id);
    expect(Object.values(ctx.steps).map((s) => (s as { status: string }).status)).toEqual(['success', 'success', 'success']);
  });

  it('PostgreSQL restarting under the claim, a step record and the finish: waited for, the run succeeds once', async () => {
    const { id } = await prepare();
    const claim = executions.claimWithVariables.bind(executions);
    const setCurrent = executions.setCurrentStep.bind(executions);
    const finish = executions.finish.bind(executions);
    let claims = 0;
    let sets = 0;
    let finishes = 0;
    jest.spyOn(executions, 'claimWithVariables').mockImplementation(async (...a) => (++claims <= 2 ? Promise.reject(pgDown()) : claim(...a)));
    jest.spyOn(executions, 'setCurrentStep').mockImplementation(async (...a) => (++sets === 2 ? Promise.reject(new Error('Connection terminated unexpectedly')) : setCurrent(...a)));
    jest.spyOn(executions, 'finish').mockImplementation(async (...a) =>
      ++finishes <= 2 ? Promise.reject(Object.assign(new Error('the database system is starting up'), { code: '57P03' })) : finish(...a),
    );
    expect(await runner.run(id)).toBe('success');
    expect([claims, finishes]).toEqual([3, 3]);
    expect(echo.runs.filter((r) => r.startsWith(id))).toHaveLength(3);
    expect((await executions.findById(id))!.status).toBe('success');
  });

  it('an error the database answered (not an outage) is not retried', async () => {
    const { id } = await prepare();
    let sets = 0;
    jest.spyOn(executions, 'setCurrentStep').mockImplementation(async () => {
      sets++;
      throw Object.assign(new Error('value too long'), { code: '22001' });
    });
    expect(await runner.run(id)).toBe('failed');
    expect(sets).toBe(1);
  });
});

import { randomUUID } from 'crypto';
import pino from 'pino';
import { ExecutionWaitsRepository, SecretCipher, VariablesRepository, type Database, type ExecutionsRepository, type JobsRepository, type StopRequest } from '@vecron/db';
import type { JobDefinition } from '@vecron/definitions';
import { executionContextKey, jobDefinitionVersionKey, type InMemoryObjectStorage } from '@vecron/storage';
import { DefinitionCache } from '../src/executions/definition.cache';
import { ExecutionClaimService } from '../src/executions/execution-claim.service';
import { ExecutionWaitService } from '../src/executions/execution-wait.service';
import { createRunnerFixture } from './runner.fixture';

/** The claim with overlap policies and max_concurrent (real PostgreSQL; Bull and Redis replaced by recorders). */
describe('ExecutionClaimService with waits (real PostgreSQL)', () => {
  let db: Database;
  let jobs: JobsRepository;
  let executions: ExecutionsRepository;
  let storage: InMemoryObjectStorage;
  let claims: ExecutionClaimService;
  let definitions: DefinitionCache;
  const enqueued: { executionId: string; key: string; delayMs: number }[] = [];
  const stops: StopRequest[] = [];

  beforeAll(async () => {
    ({ db, jobs, executions, storage } = await createRunnerFixture('vecron_test_worker_waits', []));
    const logger = pino({ level: 'silent' });
    const waitsRepo = new ExecutionWaitsRepository(db, executions);
    definitions = new DefinitionCache(storage);
    const waits = new ExecutionWaitService({
      executions,
      waits: waitsRepo,
      jobs,
      definition: (jobId, version) => definitions.get(jobId, version),
      enqueue: async (executionId, _jobId, key, delayMs) => void enqueued.push({ executionId, key, delayMs }),
      publishStop: async (request) => void stops.push(request),
      recheckMs: 60_000,
      logger,
    });
    claims = new ExecutionClaimService(executions, jobs, new VariablesRepository(db, new SecretCipher([], null)), logger, waits, waitsRepo);
  });
  afterAll(() => db.close());

  async function newJob(extra: Partial<JobDefinition>): Promise<{ jobId: string; definition: JobDefinition }> {
    const jobId = randomUUID();
    const definition = {
      name: 't', schedule: null, triggers: { scheduled: true, manual: true }, steps: [{ id: 'a', name: 'a', type: 'script', condition: null, config: {} }],
      timeout_seconds: 300, max_retries: 0, allow_concurrent: false, enabled: true, ...extra,
    } as JobDefinition;
    await jobs.insert(jobId, {
      name: 't', description: null, enabled: true, definition_path: `jobs/${jobId}/definition.json`, schedule: null, schedule_type: null,
      timezone: null, scheduled_trigger: true, manual_trigger: true, webhook_enabled: false, allow_concurrent: definition.allow_concurrent,
      next_run_at: null, max_concurrent: definition.allow_concurrent ? (definition.max_concurrent ?? null) : null,
    });
    await storage.put(jobDefinitionVersionKey(jobId, 1), JSON.stringify(definition));
    return { jobId, definition };
  }
  let fire = Date.parse('2026-11-30T01:00:00.000Z');
  async function addExecution(jobId: string, exclusive: boolean, source: 'scheduled' | 'manual' = 'scheduled'): Promise<string> {
    const id = randomUUID();
    fire += 1000;
    await executions.insertPending({
      id, job_id: jobId, idempotency_key: `${source}:${id}`, trigger_source: source, definition_version: 1,
      context_path: executionContextKey(jobId, id), exclusive, scheduled_for: source === 'scheduled' ? new Date(fire) : null,
    });
    return id;
  }
  const row = async (id: string) => (await executions.findById(id))!;
  const waitReason = async (id: string) => (await db.query<{ wait_reason: string | null }>('select wait_reason from job_executions where id=$1', [id])).rows[0]!.wait_reason;
  const skipReasons = async (jobId: string) => (await db.query<{ reason: string }>('select reason from schedule_skips where job_id=$1 order by id', [jobId])).rows.map((r) => r.reason);

  it('queue: a fire during a run waits (one re-check scheduled); a second one is skipped; the end of the run wakes the first, which then runs', async () => {
    const { jobId, definition } = await newJob({ overlap_policy: 'queue' });
    const a = await addExecution(jobId, true);
    const b = await addExecution(jobId, true);
    const c = await addExecution(jobId, true);
    expect((await claims.claim(a, 'w1')).claimed).toBe(true);

    expect(await claims.claim(b, 'w1')).toEqual({ claimed: false, skipped: false });
    expect(await row(b)).toMatchObject({ status: 'pending' });
    expect(await waitReason(b)).toBe('overlap_queue');
    expect(enqueued.filter((e) => e.executionId === b)).toEqual([{ executionId: b, key: expect.stringMatching(`^${b}:recheck:`), delayMs: 60_000 }]);
    // Another delivery of the waiting fire keeps waiting and schedules no second re-check.
    expect(await claims.claim(b, 'w2')).toEqual({ claimed: false, skipped: false });
    expect(enqueued.filter((e) => e.executionId === b)).toHaveLength(1);

    expect(await claims.claim(c, 'w2')).toEqual({ claimed: false, skipped: true });
    expect(await row(c)).toMatchObject({ status: 'cancelled', error: { code: 'OVERLAP_QUEUE_FULL' } });
    expect(await skipReasons(jobId)).toEqual(['overlap_queue_full']);

    await executions.finish(a, 'success', null);
    await claims.afterFinish({ id: a, job_id: jobId }, definition);
    expect(enqueued.filter((e) => e.executionId === b).at(-1)).toEqual({ executionId: b, key: `${b}:wake:${a}`, delayMs: 0 });
    const claimed = await claims.claim(b, 'w2');
    expect(claimed.claimed).toBe(true);
    expect(await row(b)).toMatchObject({ status: 'running', worker_id: 'w2' });
  });

  it('cancel_previous: the running execution is asked to stop, naming the new fire, which waits for its end; a newer fire supersedes the waiting one', async () => {
    const { jobId } = await newJob({ overlap_policy: 'cancel_previous' });
    const a = await addExecution(jobId, true);
    const b = await addExecution(jobId, true);
    const c = await addExecution(jobId, true);
    expect((await claims.claim(a, 'w1')).claimed).toBe(true);
    expect(await claims.claim(b, 'w2')).toEqual({ claimed: false, skipped: false });
    const fireB = (await row(b)).scheduled_for!.toISOString();
    const stopped = await row(a);
    expect(stopped.status).toBe('running');
    expect(stopped.cancel_requested_by).toBe(`scheduled fire ${fireB} (execution ${b}, overlap_policy cancel_previous)`);
    expect(stops.map((s) => s.execution_id)).toContain(a);

    expect(await claims.claim(c, 'w2')).toEqual({ claimed: false, skipped: false });
    expect(await row(b)).toMatchObject({ status: 'cancelled', error: { code: 'OVERLAP_SUPERSEDED' } });
    expect((await row(b)).error!.message).toContain(`execution ${c}`);
    expect(await waitReason(c)).toBe('cancel_previous');
    expect(await skipReasons(jobId)).toEqual(['overlap_superseded']);
  });

  it('skip (default) and manual triggers: the overlapping execution ends cancelled, CONCURRENT_RUN, a scheduled one recorded', async () => {
    const { jobId } = await newJob({ overlap_policy: 'queue' });
    const a = await addExecution(jobId, true);
    const manual = await addExecution(jobId, true, 'manual');
    expect((await claims.claim(a, 'w1')).claimed).toBe(true);
    expect(await claims.claim(manual, 'w1')).toEqual({ claimed: false, skipped: true });
    expect(await row(manual)).toMatchObject({ status: 'cancelled', error: { code: 'CONCURRENT_RUN' } });

    const { jobId: plain } = await newJob({});
    const p1 = await addExecution(plain, true);
    const p2 = await addExecution(plain, true);
    expect((await claims.claim(p1, 'w1')).claimed).toBe(true);
    expect(await claims.claim(p2, 'w1')).toEqual({ claimed: false, skipped: true });
    expect(await skipReasons(plain)).toEqual(['previous_execution_still_running']);
  });

  it('max_concurrent: over the limit an execution waits (pending, one re-check); a freed slot wakes it', async () => {
    const { jobId, definition } = await newJob({ allow_concurrent: true, max_concurrent: 1 });
    const a = await addExecution(jobId, false, 'manual');
    const b = await addExecution(jobId, false, 'manual');
    expect((await claims.claim(a, 'w1')).claimed).toBe(true);
    expect(await claims.claim(b, 'w2')).toEqual({ claimed: false, skipped: false });
    expect(await row(b)).toMatchObject({ status: 'pending' });
    expect(await waitReason(b)).toBe('max_concurrent');
    expect(enqueued.filter((e) => e.executionId === b)).toHaveLength(1);
    await executions.finish(a, 'success', null);
    await claims.afterFinish({ id: a, job_id: jobId }, definition);
    expect(enqueued.filter((e) => e.executionId === b).at(-1)?.key).toBe(`${b}:wake:${a}`);
    expect((await claims.claim(b, 'w2')).claimed).toBe(true);
  });
});

import Bull, { type Queue } from 'bull';
import { randomUUID } from 'crypto';
import Redis from 'ioredis';
import pino from 'pino';
import { Database, ExecutionsRepository, JobsRepository, migrate, recreateDatabase } from '@vecron/db';
import { ExecutionDispatcher, executionJobOptions, executionQueueOptions, RecoveryCounters, resumeJobId, type ExecutionJobData } from '@vecron/queue';
import { executionContextKey } from '@vecron/storage';
import { ExecutionReconciler } from '../src/scheduling/execution-reconciler';

const REDIS_URL = process.env.VECRON_TEST_REDIS_URL ?? 'redis://127.0.0.1:26379/1';
const ADMIN = process.env.VECRON_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:25432/postgres';

describe('ExecutionReconciler (real PostgreSQL, Redis and Bull)', () => {
  const prefix = `t-reconciler-${Date.now().toString(36)}`;
  let db: Database;
  let executions: ExecutionsRepository;
  let jobs: JobsRepository;
  let queue: Queue<ExecutionJobData>;
  let redis: Redis;
  let counters: RecoveryCounters;
  let reconciler: ExecutionReconciler;
  let jobId: string;

  beforeAll(async () => {
    db = new Database({ connectionString: await recreateDatabase(ADMIN, 'vecron_test_reconciler'), poolSize: 3 });
    await migrate(db.pool);
    executions = new ExecutionsRepository(db);
    jobs = new JobsRepository(db);
    queue = new Bull<ExecutionJobData>('executions', executionQueueOptions(REDIS_URL, prefix));
    redis = new Redis(REDIS_URL);
    counters = new RecoveryCounters(redis, prefix);
    const logger = pino({ level: 'silent' });
    const dispatcher = new ExecutionDispatcher({ executions, db, queue, logger });
    reconciler = new ExecutionReconciler(executions, dispatcher, queue, counters, { pendingAfterMs: 1000, staleRunningMs: 5000, batch: 100, maxResumes: 1 }, logger);
    jobId = randomUUID();
    await jobs.insert(jobId, {
      name: 't', description: null, enabled: true, definition_path: `jobs/${jobId}/definition.json`, schedule: null, schedule_type: null,
      timezone: null, scheduled_trigger: false, manual_trigger: true, webhook_enabled: false, allow_concurrent: true, next_run_at: null,
    });
  });
  afterAll(async () => {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await redis.del(`${prefix}:recovery:repairs`);
    await redis.quit();
    await db.close();
  });

  /** A pending execution due `agoMs` ago. */
  async function pending(agoMs: number): Promise<string> {
    const id = randomUUID();
    await executions.insertPending({
      id, job_id: jobId, idempotency_key: `manual:${id}`, trigger_source: 'scheduled', definition_version: 1,
      context_path: executionContextKey(jobId, id), scheduled_for: new Date(Date.now() - agoMs), exclusive: false,
    });
    await db.query(`update job_executions set created_at = now() - make_interval(secs => $2::double precision / 1000) where id=$1`, [id, agoMs]);
    return id;
  }

  it('re-enqueues due pending executions whose Bull job is gone or ended unclaimed, leaves live ones and recent ones alone, counts each', async () => {
    const gone = await pending(10_000);
    const failedDelivery = await pending(10_000);
    const waiting = await pending(10_000);
    const recent = await pending(0);
    await queue.add({ execution_id: failedDelivery, job_id: jobId }, executionJobOptions(failedDelivery, 0));
    // The delivery failed (PostgreSQL was down at the claim): Bull keeps the job as failed.
    const job = (await queue.getNextJob())!;
    expect(job.id).toBe(failedDelivery);
    await job.moveToFailed({ message: 'connect ECONNREFUSED' }, true);
    await job.releaseLock();
    expect(await job.getState()).toBe('failed');
    await queue.add({ execution_id: waiting, job_id: jobId }, executionJobOptions(waiting, 0));

    const before = (await counters.read()).pending_requeued;
    const result = await reconciler.sweep();
    expect(result.pending_requeued).toBe(2);
    expect((await counters.read()).pending_requeued).toBe(before + 2);
    for (const id of [gone, failedDelivery, waiting]) expect(await (await queue.getJob(id))!.getState()).toBe('waiting');
    expect(await queue.getJob(recent)).toBeNull();

    // Nothing left to repair: a second sweep changes nothing.
    expect((await reconciler.sweep()).pending_requeued).toBe(0);
  });

  it('a running execution without heartbeat is resumed at its step (once here), then failed WORKER_LOST; a fresh one is left alone', async () => {
    const lost = await pending(0);
    const alive = await pending(0);
    await executions.claim(lost, 'w-dead');
    await executions.claim(alive, 'w-alive');
    await executions.setCurrentStep(lost, 'b');
    const age = () => db.query(`update job_executions set updated_at = now() - interval '30 seconds' where id=$1`, [lost]);
    await age();
    const first = await reconciler.sweep();
    expect(first).toMatchObject({ running_resumed: 1, running_failed: 0 });
    const waiting = (await executions.findById(lost))!;
    expect(waiting).toMatchObject({ status: 'running', worker_id: null, resume_step: 'b', attempt: 2 });
    expect(waiting.next_attempt_at).not.toBeNull();
    expect(await (await queue.getJob(resumeJobId(lost, waiting.next_attempt_at!)))!.getState()).toBe('waiting');
    expect(await executions.countAttempts(lost, 'WORKER_LOST')).toBe(1);
    expect((await executions.findById(alive))!.status).toBe('running');

    // Another worker resumes it and is lost too: no resume left, it ends failed.
    await executions.claimResumeWithVariables(lost, 'w-dead-2');
    await age();
    expect(await reconciler.sweep()).toMatchObject({ running_resumed: 0, running_failed: 1 });
    expect(await executions.findById(lost)).toMatchObject({ status: 'failed', error: { code: 'WORKER_LOST', step_id: 'b' } });
    expect(await counters.read()).toMatchObject({ running_resumed: 1, running_failed: 1 });
  });
});

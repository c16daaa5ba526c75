import { randomUUID } from 'crypto';
import { Database } from '../src/database';
import { ExecutionsRepository, stoppedError, type NewExecution } from '../src/executions.repository';
import { JobsRepository, type JobMetadata } from '../src/jobs.repository';
import { freshMigratedDatabase } from './db-test';

const meta = (): JobMetadata => ({
  name: 'job', description: null, enabled: true, definition_path: 'jobs/x/definition.json', schedule: null,
  schedule_type: null, timezone: null, scheduled_trigger: false, manual_trigger: true, webhook_enabled: false,
  allow_concurrent: false, next_run_at: null,
});

describe('execution stop and trigger overlap statements (real PostgreSQL)', () => {
  let db: Database;
  let jobs: JobsRepository;
  let executions: ExecutionsRepository;

  beforeAll(async () => {
    db = await freshMigratedDatabase('vecron_test_db_stop');
    jobs = new JobsRepository(db);
    executions = new ExecutionsRepository(db);
  });
  afterAll(() => db.close());

  const newJob = async (): Promise<string> => {
    const id = randomUUID();
    await jobs.insert(id, meta());
    return id;
  };
  const pending = async (jobId: string, over: Partial<NewExecution> = {}): Promise<string> => {
    const id = randomUUID();
    await executions.insertPending({ id, job_id: jobId, idempotency_key: `s:${id}`, trigger_source: 'manual', definition_version: 1, context_path: 'x', ...over });
    return id;
  };

  it('a pending execution is cancelled at once, with who and when; its later claim finds nothing to do', async () => {
    const jobId = await newJob();
    const id = await pending(jobId);
    const r = await executions.requestStop(id, { by: 'api' });
    expect(r.outcome).toBe('cancelled');
    if (r.outcome !== 'cancelled') return;
    expect(r.execution).toMatchObject({ status: 'cancelled', cancel_requested_by: 'api', cancel_requested_by_user_id: null });
    expect(r.execution.cancel_requested_at).toBeInstanceOf(Date);
    expect(r.execution.error).toEqual({ code: 'CANCELLED', message: `stopped by api at ${r.execution.cancel_requested_at!.toISOString()}` });
    expect(await executions.claimWithVariables(id, 'w1')).toBeNull();
    const stats = await db.query('select total_executions, last_status from job_stats where job_id=$1', [jobId]);
    expect(stats.rows[0]).toMatchObject({ total_executions: '1', last_status: 'cancelled' });
  });

  it('a running execution is flagged, not finished; the flag is seen between steps and at the heartbeat; the first request is kept', async () => {
    const jobId = await newJob();
    const id = await pending(jobId);
    await executions.claimWithVariables(id, 'w1');
    expect(await executions.setCurrentStep(id, 'a')).toBeNull();
    expect(await executions.touchRunning([id])).toEqual([]);
    const r = await executions.requestStop(id, { by: 'api', userId: null });
    expect(r.outcome).toBe('running');
    if (r.outcome !== 'running') return;
    expect(r.execution.status).toBe('running');
    const at = r.execution.cancel_requested_at!;
    const expected = { execution_id: id, requested_at: at, requested_by: 'api', requested_by_user_id: null };
    expect(await executions.setCurrentStep(id, 'b')).toEqual(expected);
    expect(await executions.touchRunning([id, randomUUID()])).toEqual([expected]);
    const again = await executions.requestStop(id, { by: 'someone-else' });
    expect(again.outcome === 'running' && again.execution.cancel_requested_at?.getTime()).toBe(at.getTime());
    expect(again.outcome === 'running' && again.execution.cancel_requested_by).toBe('api');
    expect(stoppedError(expected)).toEqual({ code: 'CANCELLED', message: `stopped by api at ${at.toISOString()}` });
  });

  it('a stop that lands before the claim is returned by the claim (the worker ends it)', async () => {
    const id = await pending(await newJob());
    await db.query(`update job_executions set cancel_requested_at=now(), cancel_requested_by='api' where id=$1`, [id]);
    const claimed = await executions.claimWithVariables(id, 'w1');
    expect(claimed?.execution.cancel_requested_at).toBeInstanceOf(Date);
  });

  it('a finished execution is left alone (its status is returned); an unknown id is not found', async () => {
    const id = await pending(await newJob());
    await executions.claimWithVariables(id, 'w1');
    await executions.finish(id, 'success', null);
    expect(await executions.requestStop(id, { by: 'api' })).toEqual({ outcome: 'finished', status: 'success' });
    expect((await executions.findById(id))!.cancel_requested_at).toBeNull();
    expect(await executions.requestStop(randomUUID(), { by: 'api' })).toEqual({ outcome: 'not_found' });
  });

  it('a stop racing the claim: exactly one of them wins, and the execution never runs unflagged', async () => {
    for (let round = 0; round < 10; round++) {
      const id = await pending(await newJob());
      const [stop, claim] = await Promise.all([executions.requestStop(id, { by: 'api' }), executions.claimWithVariables(id, 'w1')]);
      const row = (await executions.findById(id))!;
      if (stop.outcome === 'cancelled') {
        expect(claim).toBeNull();
        expect(row.status).toBe('cancelled');
      } else {
        expect(stop.outcome).toBe('running');
        expect(row.status).toBe('running');
        // The worker learns of the stop from its claim or from the next between-step check.
        expect(claim?.execution.cancel_requested_at ?? (await executions.setCurrentStep(id, 'a'))?.requested_at).toBeInstanceOf(Date);
      }
    }
  });

  it('finish only from the given statuses', async () => {
    const id = await pending(await newJob());
    await executions.claimWithVariables(id, 'w1');
    expect(await executions.finish(id, 'cancelled', null, db, ['pending'])).toBeNull();
    expect((await executions.finish(id, 'success', null))?.status).toBe('success');
  });

  it('finds the execution in progress (a running one first), not a future scheduled one', async () => {
    const jobId = await newJob();
    await pending(jobId, { trigger_source: 'scheduled', scheduled_for: new Date(Date.now() + 60_000) });
    expect(await executions.findActiveExecution(jobId)).toBeNull();
    const due = await pending(jobId);
    expect(await executions.findActiveExecution(jobId)).toBe(due);
    const running = await pending(jobId, { exclusive: false });
    await executions.claimWithVariables(running, 'w1');
    expect(await executions.findActiveExecution(jobId)).toBe(running);
  });

  it('the per-job trigger lock serialises two transactions of the same job only', async () => {
    const jobId = await newJob();
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((r) => (releaseFirst = r));
    let firstLocked!: () => void;
    const locked = new Promise<void>((r) => (firstLocked = r));
    const first = db.transaction(async (tx) => {
      await executions.lockJobTriggers(jobId, tx);
      firstLocked();
      await firstHolds;
      order.push('first');
    });
    await locked;
    // Another job's lock is free while the first is held.
    await db.transaction((tx) => executions.lockJobTriggers(randomUUID(), tx));
    const second = db.transaction(async (tx) => {
      await executions.lockJobTriggers(jobId, tx);
      order.push('second');
    });
    // The second waits on the lock: give it a round trip to show it is still blocked.
    await db.query('select pg_sleep(0.2)');
    expect(order).toEqual([]);
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
  });
});

import { randomUUID } from 'crypto';
import { Database } from '../src/database';
import { ExecutionWaitsRepository } from '../src/execution-waits.repository';
import { ConcurrentRunError, ExecutionsRepository, type NewExecution } from '../src/executions.repository';
import { JobsRepository, type JobMetadata } from '../src/jobs.repository';
import { freshMigratedDatabase } from './db-test';

const meta = (over: Partial<JobMetadata> = {}): JobMetadata => ({
  name: 'job', description: null, enabled: true, definition_path: 'jobs/x/definition.json', schedule: null,
  schedule_type: null, timezone: null, scheduled_trigger: true, manual_trigger: true, webhook_enabled: false,
  allow_concurrent: true, next_run_at: null, ...over,
});

describe('waiting executions: max_concurrent claim, overlap waiters, re-checks (real PostgreSQL)', () => {
  let db: Database;
  let jobs: JobsRepository;
  let executions: ExecutionsRepository;
  let waits: ExecutionWaitsRepository;

  beforeAll(async () => {
    db = await freshMigratedDatabase('vecron_test_db_waits');
    jobs = new JobsRepository(db);
    executions = new ExecutionsRepository(db);
    waits = new ExecutionWaitsRepository(db, executions);
  });
  afterAll(() => db.close());

  const newJob = async (over: Partial<JobMetadata> = {}): Promise<string> => {
    const id = randomUUID();
    await jobs.insert(id, meta(over));
    return id;
  };
  const pending = async (jobId: string, over: Partial<NewExecution> = {}): Promise<string> => {
    const id = randomUUID();
    await executions.insertPending({ id, job_id: jobId, idempotency_key: `s:${id}`, trigger_source: 'scheduled', definition_version: 1, context_path: 'x', exclusive: false, ...over });
    return id;
  };
  const statusOf = async (id: string) => (await executions.findById(id))!.status;

  it('a job without a limit is claimed by the one-statement claim, as before', async () => {
    const jobId = await newJob();
    const id = await pending(jobId);
    expect((await executions.claimWithVariables(id, 'w1'))?.execution.status).toBe('running');
  });

  it('a job with max_concurrent is not claimed by the plain claim; claimLimited holds the limit under concurrent claims', async () => {
    const jobId = await newJob({ max_concurrent: 2 });
    expect((await jobs.findById(jobId))?.max_concurrent).toBe(2);
    const ids = await Promise.all(Array.from({ length: 6 }, () => pending(jobId)));
    expect(await executions.claimWithVariables(ids[0]!, 'w1')).toBeNull();
    expect(await statusOf(ids[0]!)).toBe('pending');
    // Six claims at once from "different workers": exactly two win, the others wait.
    const results = await Promise.all(ids.map((id, i) => waits.claimLimited(id, `w${i}`)));
    expect(results.filter((r) => r.outcome === 'claimed')).toHaveLength(2);
    const waiting = results.filter((r) => r.outcome === 'waiting');
    expect(waiting).toHaveLength(4);
    expect(waiting[0]).toEqual({ outcome: 'waiting', running: 2, limit: 2 });
    const listed = await waits.findWaiting(jobId, 10);
    expect(listed.map((w) => w.wait_reason)).toEqual(['max_concurrent', 'max_concurrent', 'max_concurrent', 'max_concurrent']);

    // A slot frees: one waiter gets it, the next still waits.
    const runningId = ids[results.findIndex((r) => r.outcome === 'claimed')]!;
    await executions.finish(runningId, 'success', null);
    const [first, second] = listed;
    expect((await waits.claimLimited(first!.id, 'w9')).outcome).toBe('claimed');
    expect((await waits.claimLimited(second!.id, 'w9')).outcome).toBe('waiting');
    expect(await waits.findWaiting(jobId, 10)).toHaveLength(3);
    // A claimed or finished execution is not claimed again.
    expect((await waits.claimLimited(first!.id, 'w9')).outcome).toBe('not_pending');
  });

  it('at most one scheduled fire waits behind an overlap per job; a cancelled waiter frees the place', async () => {
    const jobId = await newJob({ allow_concurrent: false });
    const a = await pending(jobId, { exclusive: true });
    const b = await pending(jobId, { exclusive: true });
    const c = await pending(jobId, { exclusive: true });
    await executions.claimWithVariables(a, 'w1');
    await expect(executions.claimWithVariables(b, 'w2')).rejects.toBeInstanceOf(ConcurrentRunError);
    expect(await waits.markWaiting(b, 'overlap_queue')).toBe('marked');
    expect(await waits.waitReasonOf(b)).toBe('overlap_queue');
    expect(await waits.markWaiting(c, 'overlap_queue')).toBe('taken');
    expect(await waits.markWaiting(c, 'cancel_previous')).toBe('taken');
    expect(await waits.findOverlapWaiter(jobId, c)).toMatchObject({ id: b, wait_reason: 'overlap_queue' });
    expect(await waits.findRunningExclusive(jobId)).toBe(a);
    await executions.finish(b, 'cancelled', { message: 'superseded' }, db, ['pending']);
    expect(await waits.markWaiting(c, 'cancel_previous')).toBe('marked');
    // max_concurrent waiters are not limited to one.
    expect(await waits.markWaiting(await pending(jobId), 'max_concurrent')).toBe('marked');
    expect(await waits.markWaiting(a, 'overlap_queue')).toBe('not_pending');
  });

  it('one re-check at a time per waiting execution', async () => {
    const jobId = await newJob();
    const id = await pending(jobId);
    expect(await waits.takeRecheck(id, 60_000)).toBe(true);
    expect(await waits.takeRecheck(id, 60_000)).toBe(false);
    // Due (within half the delay of slack): the next chain link may be scheduled.
    await db.query(`update job_executions set wait_check_at = now() + interval '20 seconds' where id=$1`, [id]);
    expect(await waits.takeRecheck(id, 60_000)).toBe(true);
    await executions.finish(id, 'cancelled', null);
    await db.query(`update job_executions set wait_check_at = null where id=$1`, [id]);
    expect(await waits.takeRecheck(id, 60_000)).toBe(false);
  });
});

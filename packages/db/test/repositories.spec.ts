import { randomBytes, randomUUID } from 'crypto';
import { Database } from '../src/database';
import { ExecutionsRepository } from '../src/executions.repository';
import { JobsRepository, type JobMetadata } from '../src/jobs.repository';
import { migrate, MIGRATIONS } from '../src/migrator';
import { SecretCipher, parseEncryptionKeys } from '../src/variables/secret-cipher';
import { VariableNameTakenError, VariablesRepository } from '../src/variables/variables.repository';
import { freshMigratedDatabase } from './db-test';

const meta = (over: Partial<JobMetadata> = {}): JobMetadata => ({
  name: 'job', description: null, enabled: true, definition_path: 'jobs/x/definition.json', schedule: { type: 'cron' },
  schedule_type: 'cron', timezone: 'Asia/Ho_Chi_Minh', scheduled_trigger: true, manual_trigger: true, webhook_enabled: false,
  allow_concurrent: false, next_run_at: new Date(Date.now() - 1000), ...over,
});

describe('system database (real PostgreSQL)', () => {
  let db: Database;
  let jobs: JobsRepository;
  let executions: ExecutionsRepository;

  beforeAll(async () => {
    db = await freshMigratedDatabase('vecron_test_db_pkg');
    jobs = new JobsRepository(db);
    executions = new ExecutionsRepository(db);
  });
  afterAll(() => db.close());

  it('warms up pool connections', async () => {
    await db.warmUp(3);
    expect(db.pool.totalCount).toBeGreaterThanOrEqual(3);
    expect(db.pool.idleCount).toBe(db.pool.totalCount);
  });

  it('warm-up prepares the claim statements on every connection it opens, claiming nothing; claims then use them', async () => {
    const jobId = randomUUID();
    await jobs.insert(jobId, meta());
    const id = randomUUID();
    await executions.insertPending({ id, job_id: jobId, idempotency_key: `wp:${id}`, trigger_source: 'manual', definition_version: 1, context_path: 'x', exclusive: false });
    const pool = new Database({ connectionString: db.pool.options.connectionString!, poolSize: 3 });
    try {
      const prepared = new ExecutionsRepository(pool);
      await pool.warmUp(3, (client) => prepared.prepareClaims(client));
      expect(pool.pool.totalCount).toBe(3);
      // Each of the three connections holds the four statements (checked on each while all are out).
      const clients = await Promise.all([pool.pool.connect(), pool.pool.connect(), pool.pool.connect()]);
      try {
        for (const c of clients) {
          const { rows } = await c.query<{ name: string }>('select name from pg_prepared_statements order by name');
          expect(rows.map((r) => r.name)).toEqual(['vecron_claim_many', 'vecron_claim_one', 'vecron_claim_one_any', 'vecron_claim_resume']);
        }
      } finally {
        for (const c of clients) c.release();
      }
      expect((await executions.findById(id))!).toMatchObject({ status: 'pending', worker_id: null });
      // The prepared statements are the ones the claims run (the same name with another text would fail).
      expect((await prepared.claimWithVariables(id, 'w1'))!.execution).toMatchObject({ status: 'running', worker_id: 'w1' });
      expect(await prepared.claimManyWithVariables([{ id, currentStep: null }], 'w2')).toEqual(new Map());
      expect(await prepared.claimResumeWithVariables(id, 'w2')).toBeNull();
    } finally {
      await pool.close();
    }
  });

  it('migrations are idempotent and recorded', async () => {
    const again = await migrate(db.pool);
    expect(again.applied).toEqual([]);
    const { rows } = await db.query<{ version: number }>('select version from schema_migrations order by version');
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('concurrent migrate calls serialise on the advisory lock', async () => {
    const results = await Promise.all([migrate(db.pool), migrate(db.pool), migrate(db.pool)]);
    expect(results.every((r) => r.applied.length === 0)).toBe(true);
  });

  it('inserts one execution per idempotency key; the second insert is refused', async () => {
    const jobId = randomUUID();
    await jobs.insert(jobId, meta());
    const key = `sched:${jobId}:2026-01-01T00:00:00.000Z`;
    const base = { job_id: jobId, idempotency_key: key, trigger_source: 'scheduled' as const, definition_version: 1, context_path: 'x' };
    const [a, b] = await Promise.all([executions.insertPending({ id: randomUUID(), ...base }), executions.insertPending({ id: randomUUID(), ...base })]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
  });

  it('inserts many executions in one statement, leaving out taken idempotency keys', async () => {
    const jobId = randomUUID();
    await jobs.insert(jobId, meta());
    const mk = (key: string) => ({ id: randomUUID(), job_id: jobId, idempotency_key: key, trigger_source: 'scheduled' as const, definition_version: 1, context_path: 'x', scheduled_for: new Date('2026-01-01T00:00:00.123Z'), trigger_metadata: { a: 1 } });
    const first = await executions.insertPendingMany([mk(`k1:${jobId}`), mk(`k2:${jobId}`)]);
    expect(first).toHaveLength(2);
    expect(first[0]!.scheduled_for!.toISOString()).toBe('2026-01-01T00:00:00.123Z');
    expect(first[0]!.trigger_metadata).toEqual({ a: 1 });
    const second = await executions.insertPendingMany([mk(`k2:${jobId}`), mk(`k3:${jobId}`)]);
    expect(second.map((e) => e.idempotency_key)).toEqual([`k3:${jobId}`]);
  });

  it('claims an execution once; finishing records stats and last_run_at', async () => {
    const jobId = randomUUID();
    await jobs.insert(jobId, meta());
    const id = randomUUID();
    await executions.insertPending({ id, job_id: jobId, idempotency_key: `m:${id}`, trigger_source: 'manual', definition_version: 1, context_path: 'x' });
    const claims = await Promise.all([executions.claim(id, 'w1'), executions.claim(id, 'w2')]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    const done = await executions.finish(id, 'success', null);
    expect(done?.status).toBe('success');
    expect(await executions.finish(id, 'failed', { message: 'late' })).toBeNull();
    const stats = await db.query('select total_executions, success_count, last_status from job_stats where job_id=$1', [jobId]);
    expect(stats.rows[0]).toMatchObject({ total_executions: '1', success_count: '1', last_status: 'success' });
    expect((await jobs.findById(jobId))!.last_run_at).not.toBeNull();
  });

  it('claimWithVariables: one of many racing claims wins, the others get null (no serialization error); variables in scope order', async () => {
    const jobId = randomUUID();
    await jobs.insert(jobId, meta());
    const name = `C_${randomUUID().slice(0, 8)}`;
    await db.query(`insert into variables (id, name, value, is_sensitive, job_id) values ($1, $2, 'global', false, null), ($3, $2, 'own', false, $4)`, [randomUUID(), name, randomUUID(), jobId]);
    for (let round = 0; round < 5; round++) {
      const id = randomUUID();
      await executions.insertPending({ id, job_id: jobId, idempotency_key: `cv:${id}`, trigger_source: 'manual', definition_version: 1, context_path: 'x', exclusive: false });
      const claims = await Promise.all([1, 2, 3].map((w) => executions.claimWithVariables(id, `w${w}`)));
      const won = claims.filter((c) => c !== null);
      expect(won).toHaveLength(1);
      expect(won[0]!.execution).toMatchObject({ id, status: 'running' });
      expect(won[0]!.execution).not.toHaveProperty('variables');
      const mine = won[0]!.variables.filter((v) => v.name === name);
      // Global first, then the job's own: resolving in this order lets the job's own win.
      expect(mine.map((v) => v.value)).toEqual(['global', 'own']);
    }
    await db.query('delete from variables where name=$1', [name]);
  });

  it('claimManyWithVariables: one statement claims the pending ones with their first step and variables; others are left out', async () => {
    const jobId = randomUUID();
    await jobs.insert(jobId, meta());
    const limitedJob = randomUUID();
    await jobs.insert(limitedJob, meta());
    await db.query('update jobs set max_concurrent = 1 where id = $1', [limitedJob]);
    const name = `M_${randomUUID().slice(0, 8)}`;
    await db.query(`insert into variables (id, name, value, is_sensitive, job_id) values ($1, $2, 'global', false, null), ($3, $2, 'own', false, $4)`, [randomUUID(), name, randomUUID(), jobId]);
    const pending = async (job: string): Promise<string> => {
      const id = randomUUID();
      await executions.insertPending({ id, job_id: job, idempotency_key: `cm:${id}`, trigger_source: 'manual', definition_version: 1, context_path: 'x', exclusive: false });
      return id;
    };
    const [a, b, done, limited] = [await pending(jobId), await pending(jobId), await pending(jobId), await pending(limitedJob)];
    await executions.finish(done!, 'cancelled', null);
    const claimed = await executions.claimManyWithVariables(
      [{ id: a!, currentStep: 'first' }, { id: b!, currentStep: null }, { id: done!, currentStep: 'first' }, { id: limited!, currentStep: 'first' }],
      'w1',
    );
    expect([...claimed.keys()].sort()).toEqual([a, b].sort());
    expect(claimed.get(a!)!.execution).toMatchObject({ status: 'running', worker_id: 'w1', current_step: 'first' });
    expect(claimed.get(a!)!.execution.started_at).not.toBeNull();
    expect(claimed.get(b!)!.execution).toMatchObject({ status: 'running', current_step: null });
    expect(claimed.get(a!)!.variables.filter((v) => v.name === name).map((v) => v.value)).toEqual(['global', 'own']);
    // Claimed once: a second statement (another worker) finds nothing; the limited job's execution is still pending.
    expect((await executions.claimManyWithVariables([{ id: a!, currentStep: null }, { id: b!, currentStep: null }], 'w2')).size).toBe(0);
    expect((await executions.findById(limited!))!.status).toBe('pending');
    await db.query('delete from variables where name=$1', [name]);
  });

  it('claimManyWithVariables: two exclusive runs of one job in one statement fail it as a whole (ConcurrentRunError), nothing claimed', async () => {
    const jobId = randomUUID();
    await jobs.insert(jobId, meta());
    const ids = [randomUUID(), randomUUID()];
    for (const id of ids) await executions.insertPending({ id, job_id: jobId, idempotency_key: `cx:${id}`, trigger_source: 'manual', definition_version: 1, context_path: 'x', exclusive: true });
    await expect(executions.claimManyWithVariables(ids.map((id) => ({ id, currentStep: null })), 'w1')).rejects.toThrow();
    for (const id of ids) expect((await executions.findById(id))!.status).toBe('pending');
  });

  it('claimResumeWithVariables with the wait it was scheduled for: a delivery of an earlier wait takes nothing', async () => {
    const jobId = randomUUID();
    await jobs.insert(jobId, meta());
    const id = randomUUID();
    await executions.insertPending({ id, job_id: jobId, idempotency_key: `rw:${id}`, trigger_source: 'manual', definition_version: 1, context_path: 'x', exclusive: false });
    await executions.claimWithVariables(id, 'w1');
    const first = (await executions.markWaiting(id, { resumeStep: 's', delayMs: 1000, expectWorkerId: 'w1' }))!;
    expect(first.next_attempt_at!.getMilliseconds() * 1000).toBe((await db.query<{ us: number }>(`select extract(microseconds from next_attempt_at)::int % 1000000 as us from job_executions where id=$1`, [id])).rows[0]!.us);
    expect(await executions.claimResumeWithVariables(id, 'w2', undefined, new Date(first.next_attempt_at!.getTime() + 1))).toBeNull();
    expect((await executions.claimResumeWithVariables(id, 'w2', undefined, first.next_attempt_at))!.execution.worker_id).toBe('w2');
    const second = (await executions.markWaiting(id, { resumeStep: 's', delayMs: 5000, expectWorkerId: 'w2' }))!;
    // The late duplicate of the first wait's delivery does not cut the second wait short.
    expect(await executions.claimResumeWithVariables(id, 'w3', undefined, first.next_attempt_at)).toBeNull();
    expect((await executions.claimResumeWithVariables(id, 'w3', undefined, second.next_attempt_at))!.execution.worker_id).toBe('w3');
  });

  it('heartbeats keep running executions fresh; silent ones are found as stale', async () => {
    const jobId = randomUUID();
    await jobs.insert(jobId, meta());
    const ids = [randomUUID(), randomUUID()];
    for (const id of ids) {
      await executions.insertPending({ id, job_id: jobId, idempotency_key: `hb:${id}`, trigger_source: 'manual', definition_version: 1, context_path: 'x', exclusive: false });
      await db.query(`update job_executions set status='running', updated_at=now() - interval '1 hour' where id=$1`, [id]);
    }
    await executions.touchRunning([ids[0]!]);
    const stale = await executions.findStaleRunning(new Date(Date.now() - 60_000), 1000);
    expect(stale.map((e) => e.id)).toContain(ids[1]);
    expect(stale.map((e) => e.id)).not.toContain(ids[0]);
  });

  it('finds due jobs through the index and advances only an unchanged job', async () => {
    const jobId = randomUUID();
    const job = await jobs.insert(jobId, meta({ next_run_at: new Date(Date.now() - 500) }));
    const due = await jobs.findDue(new Date(), 10_000);
    expect(due.map((j) => j.id)).toContain(jobId);
    const plan = await db.query(`explain select id from jobs where enabled and scheduled_trigger and deleted_at is null and next_run_at is not null and next_run_at <= now() order by next_run_at limit 10`);
    expect(JSON.stringify(plan.rows)).toContain('jobs_due_idx');
    const advance = { id: jobId, expected_next_run_at: job.next_run_at!, expected_version: 1, next_run_at: new Date(Date.now() + 60_000), last_fire_time: job.next_run_at!, completed: false };
    expect(await jobs.advanceSchedules([advance])).toEqual(new Set([jobId]));
    // Already moved on: a second scheduler holding the old read does nothing.
    expect(await jobs.advanceSchedules([advance])).toEqual(new Set());
  });

  describe('variables', () => {
    const keys = parseEncryptionKeys(`k1:${randomBytes(32).toString('base64')},k2:${randomBytes(32).toString('base64')}`);
    let vars: VariablesRepository;
    beforeAll(() => {
      vars = new VariablesRepository(db, new SecretCipher(keys, 'k1'));
    });

    it('stores sensitive values encrypted only, resolves job over global, rejects duplicates per scope', async () => {
      const jobId = randomUUID();
      await jobs.insert(jobId, meta());
      const name = `V_${randomUUID().slice(0, 8)}`;
      await vars.insert(randomUUID(), { name, value: 'global', is_sensitive: false, job_id: null });
      await vars.insert(randomUUID(), { name, value: 's3cr3t-value', is_sensitive: true, job_id: jobId });
      await expect(vars.insert(randomUUID(), { name, value: 'x', is_sensitive: false, job_id: null })).rejects.toBeInstanceOf(VariableNameTakenError);
      const raw = await db.query('select value, encrypted_value, key_id from variables where job_id=$1', [jobId]);
      expect(raw.rows[0].value).toBeNull();
      expect(raw.rows[0].key_id).toBe('k1');
      expect(JSON.stringify(raw.rows)).not.toContain('s3cr3t-value');
      const resolved = await vars.resolveForJob(jobId);
      expect(resolved.values[name]).toBe('s3cr3t-value');
      expect(resolved.sensitive.has(name)).toBe(true);
      expect((await vars.resolveForJob(randomUUID())).values[name]).toBe('global');
    });

    it('rotates keys: re-encrypts everything under the new active key; start-up check names missing keys', async () => {
      await vars.insert(randomUUID(), { name: `R_${randomUUID().slice(0, 8)}`, value: 'rotate-me', is_sensitive: true, job_id: null });
      const rotated = new VariablesRepository(db, new SecretCipher(keys, 'k2'));
      expect(await rotated.reencryptAll()).toBeGreaterThanOrEqual(1);
      const usage = await rotated.sensitiveKeyUsage();
      expect(usage.map((u) => u.key_id)).toEqual(['k2']);
      const onlyK2 = new VariablesRepository(db, new SecretCipher(keys.filter((k) => k.id === 'k2'), 'k2'));
      await expect(onlyK2.assertKeysAvailable()).resolves.toBeUndefined();
      const onlyK1 = new VariablesRepository(db, new SecretCipher(keys.filter((k) => k.id === 'k1'), 'k1'));
      await expect(onlyK1.assertKeysAvailable()).rejects.toThrow('encryption key id(s) that are not configured: "k2"');
      const none = new VariablesRepository(db, new SecretCipher([], null));
      await expect(none.assertKeysAvailable()).rejects.toThrow('no encryption key is configured');
    });
  });
});

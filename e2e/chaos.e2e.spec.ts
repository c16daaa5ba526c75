import type { HealthReportBody } from './support/api-client';
import { auditFires, wholeSecondAfter, type AuditedJob, type FireAudit } from './support/fire-audit';
import { IdempotentTarget } from './support/idempotent-target';
import { isReady, TestSystem, waitReady } from './support/system';

/**
 * Chaos lasts CHAOS_MS; then the system runs what is left, for as long as it makes progress
 * (a loaded machine is slower, not wrong) but at most DRAIN_MAX_MS, and never more than
 * STALL_MS without one more execution finishing.
 */
const CHAOS_MS = Number(process.env.VECRON_CHAOS_MS ?? 180_000);
const CREATE_MARGIN_MS = 20_000;
const DRAIN_MAX_MS = 600_000;
const STALL_MS = 90_000;
jest.setTimeout(CHAOS_MS + CREATE_MARGIN_MS + DRAIN_MAX_MS + 120_000);

const JOBS = 30;
const INTERVAL_MS = 2_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/**
 * 3 schedulers and 3 workers; 30 jobs fire every 2 s, each with two HTTP steps against a target
 * that honours Idempotency-Key. For CHAOS_MS a random scheduler or worker is killed with SIGKILL
 * every 1.5-4.5 s and started again at once. The jobs' fire window (first fire to end_date) is
 * fixed when they are created, so "missing" is exact at both edges: every fire time of the window
 * must have exactly one execution, whatever was killed when.
 */
describe('chaos: kill -9 of schedulers and workers while 30 jobs fire every 2 s', () => {
  const target = new IdempotentTarget(['/a', '/b'], 20);
  const sys = new TestSystem({
    name: 'e2e_chaos',
    // Started one by one below: seven Node processes booting at once on a loaded 2-core box is slow.
    schedulers: 0,
    workers: 0,
    env: { SCHEDULER_LOCK_TTL_MS: '3000', SCHEDULER_RECOVERY_INTERVAL_MS: '2000', SCHEDULER_STALE_RUNNING_MS: '10000' },
    workerEnv: { WORKER_HEARTBEAT_MS: '1000' },
  });

  beforeAll(async () => {
    await target.start();
    await sys.start();
    for (let i = 0; i < 3; i++) await waitReady(sys.addScheduler(), 120_000);
    for (let i = 0; i < 3; i++) await waitReady(sys.addWorker(), 120_000);
  });
  afterAll(async () => {
    await sys.stop();
    await target.stop();
  });

  it('one execution per fire time, all finished, no Idempotency-Key served twice', async () => {
    // The window of fires is fixed at creation (first fire → end_date), so "missing" is exact at both edges.
    const end = wholeSecondAfter(CHAOS_MS + CREATE_MARGIN_MS);
    const create = async (i: number): Promise<AuditedJob> => {
      const created = await sys.client.createJob({
        name: `chaos-${i}`,
        schedule: { type: 'cron', expression: '*/2 * * * * ?', end_date: end.toISOString().replace('.000Z', 'Z'), misfire_policy: 'fire_all', misfire_max_fires: 1000 },
        allow_concurrent: true,
        steps: ['a', 'b'].map((id) => ({
          id, name: id, type: 'http', condition: null,
          config: { method: 'POST', url: `${target.url}/${id}`, headers: { 'Idempotency-Key': `{{execution_id}}:${id}` }, body: { job: i } },
        })),
      });
      return { id: created.id, first: new Date(created.next_run_at!), end, intervalMs: INTERVAL_MS, steps: ['a', 'b'] };
    };
    const jobs: AuditedJob[] = [];
    for (let i = 0; i < JOBS; i += 10) jobs.push(...(await Promise.all(Array.from({ length: 10 }, (_, k) => create(i + k)))));
    const chaosStart = Date.now();

    // Kill a random scheduler or worker every 1.5-4.5 s for CHAOS_MS; start a new one at
    // once. Victims are chosen among processes that finished starting: on a loaded machine a
    // start-up can take longer than the kill interval, and killing processes still booting
    // would leave the run with no worker at all.
    const kills = { scheduler: 0, worker: 0 };
    while (Date.now() < chaosStart + CHAOS_MS) {
      await sleep(1_500 + Math.random() * 3_000);
      let kind: 'scheduler' | 'worker' = Math.random() < 0.5 ? 'scheduler' : 'worker';
      const ready = { scheduler: sys.schedulers.filter(isReady), worker: sys.workers.filter(isReady) };
      if (ready[kind].length === 0) kind = kind === 'scheduler' ? 'worker' : 'scheduler';
      const victim = ready[kind][Math.floor(Math.random() * ready[kind].length)];
      if (!victim) continue;
      await victim.stop('SIGKILL');
      kills[kind]++;
      if (kind === 'scheduler') sys.addScheduler();
      else sys.addWorker();
    }

    const chaosMs = Date.now() - chaosStart;
    let audit: FireAudit = await auditFires(sys.env.DATABASE_URL!, jobs, target);
    const drainStart = Date.now();
    let finished = -1;
    let progressAt = Date.now();
    // Polls the state every 2 s (each audit reads every execution row; a tighter poll only loads the box).
    let drainError = '';
    for (;;) {
      audit = await auditFires(sys.env.DATABASE_URL!, jobs, target);
      const done = audit.executions - audit.notTerminal;
      if (done > finished) [finished, progressAt] = [done, Date.now()];
      if (Date.now() > end.getTime() && audit.missing === 0 && audit.notTerminal === 0) break;
      if (Date.now() - progressAt > STALL_MS) drainError = `no execution finished for ${STALL_MS} ms`;
      else if (Date.now() - drainStart > DRAIN_MAX_MS) drainError = `not drained after ${DRAIN_MAX_MS} ms`;
      if (drainError) break;
      await sleep(2_000);
    }
    if (drainError) process.stdout.write(`[chaos] drain: ${drainError}\n`);
    audit = await auditFires(sys.env.DATABASE_URL!, jobs, target);
    const repairs = ((await (await fetch(`${sys.client.baseUrl}/health`)).json()) as HealthReportBody).recovery;
    process.stdout.write(
      `[chaos] ${Math.round(chaosMs / 1000)} s of kills ${JSON.stringify(kills)}, drained in ${Math.round((Date.now() - drainStart) / 1000)} s; ` +
        `audit ${JSON.stringify(audit)} repairs ${JSON.stringify(repairs)}\n`,
    );

    expect(chaosMs).toBeGreaterThanOrEqual(CHAOS_MS - 5_000);
    expect(kills.worker).toBeGreaterThanOrEqual(5);
    expect(kills.scheduler).toBeGreaterThanOrEqual(5);
    expect(audit).toMatchObject({ missing: 0, doubled: 0, unexpected: 0, notTerminal: 0, servedTwice: 0, withoutKey: 0, successWithoutServedKeys: 0 });
    expect(audit.executions).toBe(audit.expected);
  });
});


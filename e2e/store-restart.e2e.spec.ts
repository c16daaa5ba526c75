import type { HealthReportBody } from './support/api-client';
import { auditFires, wholeSecondAfter, type AuditedJob, type FireAudit } from './support/fire-audit';
import { IdempotentTarget } from './support/idempotent-target';
import { OwnPostgres, OwnRedis, OwnS3, type OwnServer } from './support/own-servers';
import { waitFor } from './support/services';
import { TestSystem } from './support/system';

jest.setTimeout(150_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** How long each store stays down (the "3-second stop"). */
const OUTAGE_MS = 3_000;
const JOBS = 3;
/** Fires of each job: one a second, over a window that starts before the outage and ends after it. */
const WINDOW_MS = 14_000;

type Kind = 'redis' | 'postgresql' | 's3';

/**
 * The system runs on a server of the test's own (a spare port), which is stopped abruptly for
 * OUTAGE_MS while jobs fire every second, then started again. Afterwards: one execution per fire
 * time, every execution finished in success, no step served twice; /health showed the outage.
 */
describe.each<Kind>(['redis', 'postgresql', 's3'])('%s restarting while jobs run', (kind) => {
  const server: OwnServer = kind === 'redis' ? new OwnRedis() : kind === 'postgresql' ? new OwnPostgres() : new OwnS3();
  const target = new IdempotentTarget(['/a', '/b']);
  let sys: TestSystem;

  beforeAll(async () => {
    await server.start();
    await target.start();
    sys = new TestSystem({
      name: `e2e_restart_${kind}`,
      schedulers: 1,
      workers: 1,
      ...(server instanceof OwnRedis ? { redisUrl: server.url } : {}),
      ...(server instanceof OwnPostgres ? { pgAdminUrl: server.adminUrl } : {}),
      ...(server instanceof OwnS3 ? { s3Port: server.port } : {}),
      env: { SCHEDULER_RECOVERY_INTERVAL_MS: '1000', SCHEDULER_STALE_RUNNING_MS: '20000' },
      workerEnv: { WORKER_HEARTBEAT_MS: '1000', WORKER_STORE_RETRY_BASE_MS: '100', WORKER_STORE_RETRY_MAX_DELAY_MS: '1000' },
    });
    await sys.start();
  });

  afterAll(async () => {
    await sys?.stop();
    await target.stop();
    await server.destroy();
  });

  it('no execution lost, doubled, left unfinished or lying; /health shows the outage and its end', async () => {
    const end = wholeSecondAfter(WINDOW_MS);
    const jobs: AuditedJob[] = [];
    for (let i = 0; i < JOBS; i++) {
      const created = await sys.client.createJob({
        name: `restart-${kind}-${i}`,
        schedule: { type: 'cron', expression: '* * * * * ?', end_date: end.toISOString().replace('.000Z', 'Z'), misfire_policy: 'fire_all', misfire_max_fires: 1000 },
        allow_concurrent: true,
        steps: ['a', 'b'].map((id) => ({
          id, name: id, type: 'http', condition: null,
          config: { method: 'POST', url: `${target.url}/${id}`, headers: { 'Idempotency-Key': `{{execution_id}}:${id}` }, body: { job: i } },
        })),
      });
      jobs.push({ id: created.id, first: new Date(created.next_run_at!), end, intervalMs: 1000, steps: ['a', 'b'] });
    }
    // Stop the store while executions are flowing.
    await waitFor(async () => target.served.size >= 2 * JOBS, 30_000, 'first executions served');
    await server.stop();
    const downAt = Date.now();
    const down = await waitFor(async () => {
      const h = await health(sys);
      return h.components[kind].status === 'down' ? h : null;
    }, 15_000, `/health to show ${kind} down`);
    expect(down.status).toBe('degraded');
    await sleep(OUTAGE_MS - (Date.now() - downAt));
    await server.start();
    await waitFor(async () => (await health(sys)).status === 'ok', 30_000, `/health ok after ${kind} came back`);

    // Every fire of the window has happened and finished (the last is at `end`).
    let audit: FireAudit | null = null;
    await waitFor(async () => {
      audit = await auditFires(sys.env.DATABASE_URL!, jobs, target);
      return Date.now() > end.getTime() && audit.missing === 0 && audit.notTerminal === 0;
    }, 60_000, 'every fire executed and finished').catch(() => undefined);
    audit = await auditFires(sys.env.DATABASE_URL!, jobs, target);
    process.stdout.write(`[restart ${kind}] audit ${JSON.stringify(audit)} repairs ${JSON.stringify((await health(sys)).recovery)}\n`);
    if (audit.missing || audit.notTerminal || audit.doubled) process.stderr.write(sys.logs());
    expect(audit).toMatchObject({ missing: 0, doubled: 0, unexpected: 0, notTerminal: 0, servedTwice: 0, withoutKey: 0, successWithoutServedKeys: 0 });
    expect(audit.byStatus).toEqual({ success: audit.expected });
  });
});

async function health(sys: TestSystem): Promise<HealthReportBody> {
  // /health is public (no token): a deliberate anonymous call.
  const res = await fetch(`${sys.client.baseUrl}/health`, { signal: AbortSignal.timeout(10_000) });
  return (await res.json()) as HealthReportBody;
}

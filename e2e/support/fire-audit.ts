import { Client } from 'pg';
import type { IdempotentTarget } from './idempotent-target';

/** A scheduled job under audit: fires every `intervalMs` from `first` to `end` (both included). */
export interface AuditedJob {
  id: string;
  first: Date;
  end: Date;
  intervalMs: number;
  /** Its HTTP steps' ids (each sends Idempotency-Key `{execution_id}:{step_id}`). */
  steps: string[];
}

export interface FireAudit {
  expected: number;
  executions: number;
  /** Fire times without an execution. */
  missing: number;
  /** Fire times with more than one execution. */
  doubled: number;
  /** Executions at a time that is not a fire time of the job. */
  unexpected: number;
  /** Executions still pending or running. */
  notTerminal: number;
  byStatus: Record<string, number>;
  /** Keys served more than once by the target (a step run twice at once). */
  servedTwice: number;
  /** Successful executions whose steps were not each served exactly once under their key. */
  successWithoutServedKeys: number;
  replays: number;
  withoutKey: number;
  /** Executions that ended failed because their worker was lost (none when resumed). */
  workerLost: number;
}

/**
 * What the system did with the audited jobs' fire times: exactly one execution per fire time,
 * every execution finished, no step served twice. The expected fire times are computed from
 * each job's first fire and its end_date, so the edges of the window are exact: nothing the
 * test did (stopping, killing) can make a fire legitimately absent.
 */
export async function auditFires(databaseUrl: string, jobs: AuditedJob[], target: IdempotentTarget): Promise<FireAudit> {
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  try {
    const { rows } = await pg.query<{ id: string; job_id: string; scheduled_for: Date | null; status: string; code: string | null }>(
      `select id, job_id, scheduled_for, status, error->>'code' as code from job_executions where job_id = any($1::uuid[])`,
      [jobs.map((j) => j.id)],
    );
    const audit: FireAudit = {
      expected: 0, executions: rows.length, missing: 0, doubled: 0, unexpected: 0, notTerminal: 0, byStatus: {},
      servedTwice: target.servedTwice().length, successWithoutServedKeys: 0, replays: target.replays, withoutKey: target.withoutKey, workerLost: 0,
    };
    for (const job of jobs) {
      const expected = new Set<number>();
      for (let t = job.first.getTime(); t <= job.end.getTime(); t += job.intervalMs) expected.add(t);
      audit.expected += expected.size;
      const seen = new Map<number, number>();
      for (const r of rows.filter((x) => x.job_id === job.id)) {
        const t = r.scheduled_for?.getTime() ?? -1;
        seen.set(t, (seen.get(t) ?? 0) + 1);
        if (!expected.has(t)) audit.unexpected++;
      }
      for (const t of expected) if (!seen.has(t)) audit.missing++;
      for (const n of seen.values()) if (n > 1) audit.doubled += n - 1;
    }
    const stepsOf = new Map(jobs.map((j) => [j.id, j.steps]));
    for (const r of rows) {
      audit.byStatus[r.status] = (audit.byStatus[r.status] ?? 0) + 1;
      if (r.status === 'pending' || r.status === 'running') audit.notTerminal++;
      if (r.code === 'WORKER_LOST') audit.workerLost++;
      if (r.status === 'success' && !stepsOf.get(r.job_id)!.every((s) => target.served.get(`${r.id}:${s}`) === 1)) audit.successWithoutServedKeys++;
    }
    return audit;
  } finally {
    await pg.end();
  }
}

/** The next whole second at least `aheadMs` from now, as a Date. */
export function wholeSecondAfter(aheadMs: number): Date {
  return new Date(Math.ceil((Date.now() + aheadMs) / 1000) * 1000);
}

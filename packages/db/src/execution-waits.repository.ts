import type { Database, Queryable } from './database';
import type { ClaimedExecution, ExecutionsRepository } from './executions.repository';

/**
 * Why a pending execution waits instead of running: behind a running one of an exclusive job
 * (`overlap_queue`, `cancel_previous`) or for a free slot under the job's `max_concurrent`.
 */
export type WaitReason = 'overlap_queue' | 'cancel_previous' | 'max_concurrent';

/** What `claimLimited` did. */
export type LimitedClaim =
  | { outcome: 'claimed'; claimed: ClaimedExecution }
  /** The job has `limit` executions running: this one is marked waiting (`max_concurrent`). */
  | { outcome: 'waiting'; running: number; limit: number }
  /** Not pending any more (claimed by another delivery, cancelled, finished) or unknown. */
  | { outcome: 'not_pending' };

/** A pending execution of a job waiting for its turn. */
export interface WaitingExecution {
  id: string;
  job_id: string;
  wait_reason: WaitReason;
  scheduled_for: Date | null;
}

/** The unique partial index that keeps one scheduled fire of a job waiting behind an overlap. */
const ONE_OVERLAP_WAITER_INDEX = 'job_executions_one_overlap_waiter_idx';

/**
 * Executions that wait: the claim under a per-job `max_concurrent` limit, the waiting marks, the
 * one delayed re-check per waiting execution, and the waiters to wake when a run ends.
 */
export class ExecutionWaitsRepository {
  constructor(
    private readonly db: Database,
    private readonly executions: ExecutionsRepository,
  ) {}

  /**
   * pending → running for an execution of a job with a `max_concurrent` limit (the job's current
   * limit). In one transaction under a per-job advisory lock (released at commit): count the
   * job's running executions; below the limit claim it (with its variables, as
   * `claimWithVariables`), otherwise mark it waiting. Two workers claiming at once are
   * serialised by the lock, and each sees the other's committed claim, so the limit holds across
   * every worker process. A job without a limit (it was removed meanwhile) is claimed plainly.
   * Throws ConcurrentRunError like `claimWithVariables`.
   */
  async claimLimited(id: string, workerId: string): Promise<LimitedClaim> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ job_id: string; status: string; max_concurrent: number | null }>(
        `select e.job_id, e.status, j.max_concurrent from job_executions e join jobs j on j.id = e.job_id where e.id=$1`,
        [id],
      );
      const row = rows[0];
      if (!row || row.status !== 'pending') return { outcome: 'not_pending' };
      if (row.max_concurrent !== null) {
        await tx.query(`select pg_advisory_xact_lock(hashtextextended($1, 0))`, [`vecron:claim:${row.job_id}`]);
        const { rows: count } = await tx.query<{ n: number }>(
          `select count(*)::int as n from job_executions where job_id=$1 and status='running'`,
          [row.job_id],
        );
        const running = count[0]!.n;
        if (running >= row.max_concurrent) {
          await this.markWaiting(id, 'max_concurrent', tx);
          return { outcome: 'waiting', running, limit: row.max_concurrent };
        }
      }
      const claimed = await this.executions.claimWithVariables(id, workerId, tx, false);
      return claimed ? { outcome: 'claimed', claimed } : { outcome: 'not_pending' };
    });
  }

  /**
   * Marks a pending execution as waiting. `taken`: another scheduled fire of the job already
   * waits behind an overlap (at most one may); `not_pending`: it is not pending any more.
   */
  async markWaiting(id: string, reason: WaitReason, q: Queryable = this.db): Promise<'marked' | 'taken' | 'not_pending'> {
    try {
      const { rows } = await q.query<{ id: string }>(
        `update job_executions set wait_reason=$2 where id=$1 and status='pending' returning id`,
        [id, reason],
      );
      return rows.length > 0 ? 'marked' : 'not_pending';
    } catch (err) {
      if ((err as { constraint?: string }).constraint === ONE_OVERLAP_WAITER_INDEX) return 'taken';
      throw err;
    }
  }

  /** The scheduled fire of the job waiting behind an overlap, other than `exceptId`; null when none. */
  async findOverlapWaiter(jobId: string, exceptId: string): Promise<WaitingExecution | null> {
    const { rows } = await this.db.query<WaitingExecution>(
      `select id, job_id, wait_reason, scheduled_for from job_executions
       where job_id=$1 and status='pending' and wait_reason in ('overlap_queue','cancel_previous') and id<>$2`,
      [jobId, exceptId],
    );
    return rows[0] ?? null;
  }

  /** The running exclusive execution of the job (allow_concurrent false), if any. */
  async findRunningExclusive(jobId: string): Promise<string | null> {
    const { rows } = await this.db.query<{ id: string }>(
      `select id from job_executions where job_id=$1 and status='running' and exclusive limit 1`,
      [jobId],
    );
    return rows[0]?.id ?? null;
  }

  /** The wait reason of a pending execution; null when it does not wait (or is not pending). */
  async waitReasonOf(id: string): Promise<WaitReason | null> {
    const { rows } = await this.db.query<{ wait_reason: WaitReason | null }>(
      `select wait_reason from job_executions where id=$1 and status='pending'`,
      [id],
    );
    return rows[0]?.wait_reason ?? null;
  }

  /**
   * Takes the right to schedule the next re-check of a waiting execution: true (and the check is
   * recorded as due in `delayMs`) unless one is already scheduled and not yet due (half of
   * `delayMs` of slack absorbs clock differences), so a waiting execution has one re-check
   * chain however many deliveries found it blocked.
   */
  async takeRecheck(id: string, delayMs: number): Promise<boolean> {
    const { rows } = await this.db.query<{ id: string }>(
      `update job_executions set wait_check_at = now() + $2 * interval '1 millisecond'
       where id=$1 and status='pending' and (wait_check_at is null or wait_check_at <= now() + ($2 / 2) * interval '1 millisecond')
       returning id`,
      [id, delayMs],
    );
    return rows.length > 0;
  }

  /** The oldest waiting executions of a job (to wake when one of its runs ends). */
  async findWaiting(jobId: string, limit: number): Promise<WaitingExecution[]> {
    const { rows } = await this.db.query<WaitingExecution>(
      `select id, job_id, wait_reason, scheduled_for from job_executions
       where job_id=$1 and status='pending' and wait_reason is not null order by created_at limit $2`,
      [jobId, limit],
    );
    return rows;
  }
}

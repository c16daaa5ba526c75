import type { Database } from '../database';

/** What one worker saw of a job since its last update, in order (several executions folded into one). */
export interface AlertOutcome {
  job_id: string;
  /** A success was seen: the count restarts (the failures below came after it). */
  reset: boolean;
  /** Failures seen after the last success (or in all, without one). */
  failures: number;
  /** after_consecutive_failures of the job. */
  threshold: number;
  /** Seconds between reminders while failing; 0: none. */
  reminder_seconds: number;
}

export type AlertDecisionKind = 'alert' | 'reminder' | 'recovered';

/** A notification to send, decided once for all workers. */
export interface AlertDecision {
  job_id: string;
  decision: AlertDecisionKind;
  consecutive_failures: number;
}

// The count after this update, from the row's values before it (SET sees the old row).
const COUNT = '((case when u.reset then 0 else s.consecutive_failures end) + u.failures)';
// Still alerting from before (no success in between).
const OPEN = '(s.alerting and not u.reset)';
const ALERT = `(${COUNT} >= u.threshold and not ${OPEN})`;
const REMINDER = `(${COUNT} >= u.threshold and ${OPEN} and u.failures > 0 and u.reminder_seconds > 0
  and s.notified_at <= now() - make_interval(secs => u.reminder_seconds))`;
const RECOVERED = `(u.reset and s.alerting and ${COUNT} < u.threshold)`;

/**
 * Consecutive failures per job and the alert decisions, in PostgreSQL. Every worker folds its
 * finished executions into one update per job; the row lock of that update serialises workers, so
 * exactly one of them crosses the threshold and gets the `alert` decision (likewise `recovered`
 * and `reminder`): alerts are sent once across all replicas.
 */
export class AlertStateRepository {
  constructor(private readonly db: Database) {}

  async apply(outcomes: AlertOutcome[]): Promise<AlertDecision[]> {
    if (outcomes.length === 0) return [];
    const failing = outcomes.filter((o) => o.failures > 0).map((o) => o.job_id);
    if (failing.length > 0) {
      await this.db.query('insert into job_alert_state (job_id) select unnest($1::uuid[]) order by 1 on conflict (job_id) do nothing', [failing]);
    }
    const { rows } = await this.db.query<{ job_id: string; last_decision: AlertDecisionKind | null; consecutive_failures: number }>(
      `update job_alert_state s set
         consecutive_failures = ${COUNT},
         alerting = ${COUNT} >= u.threshold,
         last_decision = case when ${ALERT} then 'alert' when ${REMINDER} then 'reminder' when ${RECOVERED} then 'recovered' end,
         notified_at = case when ${ALERT} or ${REMINDER} then now() else s.notified_at end,
         updated_at = now()
       from unnest($1::uuid[], $2::bool[], $3::int[], $4::int[], $5::int[]) as u(job_id, reset, failures, threshold, reminder_seconds)
       where s.job_id = u.job_id and (u.failures > 0 or s.consecutive_failures > 0 or s.alerting)
       returning s.job_id, s.last_decision, s.consecutive_failures`,
      [
        outcomes.map((o) => o.job_id),
        outcomes.map((o) => o.reset),
        outcomes.map((o) => o.failures),
        outcomes.map((o) => o.threshold),
        outcomes.map((o) => o.reminder_seconds),
      ],
    );
    return rows.flatMap((r) => (r.last_decision ? [{ job_id: r.job_id, decision: r.last_decision, consecutive_failures: r.consecutive_failures }] : []));
  }
}

import type { Logger } from 'pino';
import type { AlertDecision, AlertOutcome, AlertStateRepository, ExecutionError, ExecutionRecord, ExecutionStatus } from '@vecron/db';
import type { AlertChannel, JobDefinition } from '@vecron/definitions';
import type { WorkerMetrics } from '@vecron/telemetry';
import type { AlertSender } from './alert-channels';
import { buildAlertMessage, type AlertMessage } from './alert-message';

/** The worker's alert defaults (ALERT_* variables); a job's `alerts` block overrides them. */
export interface AlertSettings {
  afterConsecutiveFailures: number;
  reminderIntervalMinutes: number;
  /** Global channels: used by jobs whose definition names none. */
  channels: AlertChannel[];
  /** ALERT_EXECUTION_URL. */
  executionUrl: string;
  retryAttempts: number;
  retryBaseMs: number;
}

/** A finished execution, as the alerts see it. */
export interface AlertEvent {
  execution: ExecutionRecord;
  status: ExecutionStatus;
  error: ExecutionError | null;
  /** Null when it could not be loaded (the global settings apply). */
  definition: JobDefinition | null;
  jobName: string;
}

interface RunRef {
  executionId: string;
  status: ExecutionStatus;
  error: ExecutionError | null;
  at: Date;
}

interface PendingJob {
  outcome: AlertOutcome;
  jobName: string;
  channels: AlertChannel[];
  lastFailure?: RunRef;
  lastSuccess?: RunRef;
}

const FAILURES: ReadonlySet<ExecutionStatus> = new Set(['failed', 'timeout', 'dead_letter']);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Failure alerts. Each finished execution is folded in memory into its job's pending outcome
 * (`record`, synchronous: nothing blocks the execution); `decide` writes all pending outcomes to
 * PostgreSQL in one statement, which decides atomically — for all workers — whether an alert,
 * a reminder or a "recovered" message is due; each decided message is then sent to the job's
 * channels, every channel retried with back-off and logged, in the background. Jobs without any
 * channel (none in the definition, none configured globally) cost nothing.
 */
export class AlertService {
  private pending = new Map<string, PendingJob>();
  private deciding: Promise<void> | null = null;
  private readonly sending = new Set<Promise<void>>();

  constructor(
    private readonly state: AlertStateRepository,
    private readonly sender: AlertSender,
    private readonly settings: AlertSettings,
    private readonly logger: Logger,
    private readonly metrics?: WorkerMetrics,
  ) {}

  record(event: AlertEvent): void {
    const failed = FAILURES.has(event.status);
    if (!failed && event.status !== 'success') return;
    const alerts = event.definition?.alerts;
    if (alerts?.enabled === false) return;
    const channels = alerts?.channels ?? this.settings.channels;
    if (channels.length === 0) return;
    const jobId = event.execution.job_id;
    const run: RunRef = { executionId: event.execution.id, status: event.status, error: event.error, at: event.execution.completed_at ?? new Date() };
    const entry: PendingJob = this.pending.get(jobId) ?? {
      outcome: { job_id: jobId, reset: false, failures: 0, threshold: 0, reminder_seconds: 0 },
      jobName: event.jobName,
      channels,
    };
    entry.outcome.threshold = alerts?.after_consecutive_failures ?? this.settings.afterConsecutiveFailures;
    entry.outcome.reminder_seconds = (alerts?.reminder_interval_minutes ?? this.settings.reminderIntervalMinutes) * 60;
    entry.jobName = event.jobName;
    entry.channels = channels;
    if (failed) {
      entry.outcome.failures++;
      entry.lastFailure = run;
    } else {
      entry.outcome.reset = true;
      entry.outcome.failures = 0;
      entry.lastSuccess = run;
    }
    this.pending.set(jobId, entry);
  }

  /** Decides what the pending outcomes call for (one statement) and starts sending. */
  decide(): Promise<void> {
    this.deciding ??= this.decideOnce().finally(() => (this.deciding = null));
    return this.deciding;
  }

  /** Decides everything pending and waits for the messages being sent (shutdown, tests). */
  async flush(): Promise<void> {
    while (this.deciding) await this.deciding;
    await this.decide();
    await Promise.all([...this.sending]);
  }

  private async decideOnce(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    let decisions: AlertDecision[];
    try {
      // A fixed order: two workers' updates lock the rows in the same order.
      decisions = await this.state.apply([...batch.values()].map((p) => p.outcome).sort((a, b) => (a.job_id < b.job_id ? -1 : 1)));
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, jobs: batch.size }, 'alert state could not be updated; retried at the next flush');
      this.requeue(batch);
      return;
    }
    for (const d of decisions) {
      const job = batch.get(d.job_id);
      const run = d.decision === 'recovered' ? job?.lastSuccess : job?.lastFailure;
      if (!job || !run) continue;
      const message = buildAlertMessage({
        event: d.decision,
        jobId: d.job_id,
        jobName: job.jobName,
        consecutiveFailures: d.consecutive_failures,
        executionId: run.executionId,
        status: run.status,
        error: run.error,
        finishedAt: run.at,
        urlTemplate: this.settings.executionUrl,
      });
      this.logger.info({ job_id: d.job_id, execution_id: run.executionId, alert: d.decision, consecutive_failures: d.consecutive_failures }, 'alert decided');
      for (const channel of job.channels) {
        const p = this.deliver(channel, message).finally(() => this.sending.delete(p));
        this.sending.add(p);
      }
    }
  }

  /** Puts a batch that could not be written back in front of what arrived meanwhile. */
  private requeue(batch: Map<string, PendingJob>): void {
    for (const [jobId, older] of batch) {
      const newer = this.pending.get(jobId);
      if (!newer) {
        this.pending.set(jobId, older);
        continue;
      }
      newer.outcome.failures = newer.outcome.reset ? newer.outcome.failures : older.outcome.failures + newer.outcome.failures;
      newer.outcome.reset ||= older.outcome.reset;
      newer.lastFailure ??= older.lastFailure;
      newer.lastSuccess ??= older.lastSuccess;
    }
  }

  private async deliver(channel: AlertChannel, message: AlertMessage): Promise<void> {
    const where = { job_id: message.job.id, alert: message.event, channel: channel.type };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.sender.send(channel, message);
        this.metrics?.alerts.inc({ kind: message.event, channel: channel.type, outcome: 'sent' });
        this.logger.info({ ...where, attempt }, 'alert sent');
        return;
      } catch (err) {
        const reason = (err as Error).message;
        if (attempt >= this.settings.retryAttempts) {
          this.metrics?.alerts.inc({ kind: message.event, channel: channel.type, outcome: 'failed' });
          this.logger.error({ ...where, attempt, err: reason }, 'alert could not be sent; giving up');
          return;
        }
        const delay = this.settings.retryBaseMs * 2 ** (attempt - 1);
        this.logger.warn({ ...where, attempt, retry_in_ms: delay, err: reason }, 'alert channel failed; retrying');
        await sleep(delay);
      }
    }
  }
}

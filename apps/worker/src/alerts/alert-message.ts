import type { AlertDecisionKind, ExecutionError, ExecutionStatus } from '@vecron/db';

/** Everything an alert says: the job, the run that decided it, its error and a link to it. */
export interface AlertMessage {
  event: AlertDecisionKind;
  job: { id: string; name: string };
  consecutive_failures: number;
  execution: { id: string; status: ExecutionStatus; url: string; finished_at: string };
  /** The last failure's error (null for `recovered`). */
  error: ExecutionError | null;
  /** One-line summary (the Slack text, the e-mail subject). */
  title: string;
  /** Several lines: title, failing step, error, link. */
  text: string;
  sent_at: string;
}

export interface AlertMessageInput {
  event: AlertDecisionKind;
  jobId: string;
  jobName: string;
  consecutiveFailures: number;
  executionId: string;
  status: ExecutionStatus;
  error: ExecutionError | null;
  finishedAt: Date;
  /** ALERT_EXECUTION_URL with `{execution_id}` / `{job_id}`. */
  urlTemplate: string;
}

export function buildAlertMessage(input: AlertMessageInput): AlertMessage {
  const url = input.urlTemplate.replaceAll('{execution_id}', input.executionId).replaceAll('{job_id}', input.jobId);
  const name = input.jobName;
  const title =
    input.event === 'recovered'
      ? `[vecron] Job "${name}" recovered`
      : input.event === 'reminder'
        ? `[vecron] Job "${name}" is still failing (${input.consecutiveFailures} consecutive failures)`
        : `[vecron] Job "${name}" is failing (${input.consecutiveFailures} consecutive failures)`;
  const lines = [title];
  if (input.event === 'recovered') {
    lines.push(`The execution ${input.executionId} succeeded at ${input.finishedAt.toISOString()}.`);
  } else {
    lines.push(`Last execution: ${input.executionId} ended ${input.status} at ${input.finishedAt.toISOString()}.`);
    if (input.error?.step_id) lines.push(`Failing step: ${input.error.step_id}`);
    if (input.error) lines.push(`Error${input.error.code ? ` (${input.error.code})` : ''}: ${input.error.message}`);
  }
  lines.push(`Execution: ${url}`);
  return {
    event: input.event,
    job: { id: input.jobId, name },
    consecutive_failures: input.consecutiveFailures,
    execution: { id: input.executionId, status: input.status, url, finished_at: input.finishedAt.toISOString() },
    error: input.event === 'recovered' ? null : input.error,
    title,
    text: lines.join('\n'),
    sent_at: new Date().toISOString(),
  };
}

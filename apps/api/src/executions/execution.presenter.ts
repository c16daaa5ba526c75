import type { AttemptRecord, ExecutionError, ExecutionRecord } from '@vecron/db';

export interface StepSummary {
  step_id: string;
  status: string;
  started_at?: string;
  completed_at?: string;
  error?: unknown;
}

/** One attempt of one step (execution_attempts). */
export interface AttemptView {
  attempt: number;
  step_id: string;
  status: 'success' | 'failed';
  error_code: string | null;
  error_message: string | null;
  retryable: boolean | null;
  started_at: string;
  finished_at: string;
  next_attempt_at: string | null;
  worker_id: string | null;
}

/** An execution as the API returns it. */
export interface ExecutionView {
  id: string;
  job_id: string;
  status: string;
  trigger_source: string;
  trigger_metadata: Record<string, unknown>;
  attempt: number;
  scheduled_for: string | null;
  started_at: string | null;
  completed_at: string | null;
  duration_ms: number | null;
  current_step: string | null;
  definition_version: number;
  context_path: string | null;
  error: ExecutionError | null;
  /** When a stop was asked for (null: never); who asked ('api'); the user, once there are users. */
  cancel_requested_at: string | null;
  cancel_requested_by: string | null;
  cancel_requested_by_user_id: string | null;
  /** Set while it waits for a retry. */
  next_attempt_at: string | null;
  resume_step: string | null;
  /** The execution this one replays. */
  replay_of: string | null;
  /** The user who triggered it (manual runs and replays); null for scheduled, webhook and retry runs. */
  triggered_by: string | null;
  created_at: string;
  steps?: StepSummary[];
  attempts?: AttemptView[];
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function presentAttempt(a: AttemptRecord): AttemptView {
  return {
    attempt: a.attempt,
    step_id: a.step_id,
    status: a.status,
    error_code: a.error_code,
    error_message: a.error_message,
    retryable: a.retryable,
    started_at: a.started_at.toISOString(),
    finished_at: a.finished_at.toISOString(),
    next_attempt_at: iso(a.next_attempt_at),
    worker_id: a.worker_id,
  };
}

export function presentExecution(e: ExecutionRecord, steps?: StepSummary[], attempts?: AttemptRecord[]): ExecutionView {
  return {
    id: e.id,
    job_id: e.job_id,
    status: e.status,
    trigger_source: e.trigger_source,
    trigger_metadata: e.trigger_metadata,
    attempt: e.attempt,
    scheduled_for: iso(e.scheduled_for),
    started_at: iso(e.started_at),
    completed_at: iso(e.completed_at),
    duration_ms: e.started_at && e.completed_at ? e.completed_at.getTime() - e.started_at.getTime() : null,
    current_step: e.current_step,
    definition_version: e.definition_version,
    context_path: e.context_path,
    error: e.error,
    cancel_requested_at: iso(e.cancel_requested_at),
    cancel_requested_by: e.cancel_requested_by,
    cancel_requested_by_user_id: e.cancel_requested_by_user_id,
    next_attempt_at: iso(e.next_attempt_at),
    resume_step: e.resume_step,
    replay_of: e.replay_of,
    triggered_by: e.triggered_by ?? null,
    created_at: e.created_at.toISOString(),
    ...(steps ? { steps } : {}),
    ...(attempts ? { attempts: attempts.map(presentAttempt) } : {}),
  };
}

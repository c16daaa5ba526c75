import type { ExecutionError, ExecutionRecord } from '@vecron/db';

export interface StepSummary {
  step_id: string;
  status: string;
  started_at?: string;
  completed_at?: string;
  error?: unknown;
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
  /** The user who triggered it (manual runs); null for scheduled, webhook and retry runs. */
  triggered_by: string | null;
  created_at: string;
  steps?: StepSummary[];
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function presentExecution(e: ExecutionRecord, steps?: StepSummary[]): ExecutionView {
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
    triggered_by: e.triggered_by ?? null,
    created_at: e.created_at.toISOString(),
    ...(steps ? { steps } : {}),
  };
}

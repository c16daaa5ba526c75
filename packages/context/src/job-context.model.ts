/**
 * The Job Context: the data an execution carries from step to step, saved as
 * `jobs/{job_id}/executions/{execution_id}/context.json` after every step.
 *
 * The stored JSON is exactly the ARCHITECTURE.md format. System values that templates can read
 * but that are not part of context.json (`execution_date`, `attempt`, `trigger_source`) live in
 * the TemplateScope (see template-scope.ts), not here.
 *
 * The helpers below are pure: they never mutate their input and return a new context.
 */

export type StepStatus = 'success' | 'failed' | 'skipped' | 'running';

/** What a failed step records. Messages must already be masked (see maskSecrets). */
export interface StepError {
  message: string;
  /** Error class name, e.g. `HttpStatusError`, `TemplateError`. */
  type?: string;
  /** Whether the failure was classed retryable by its error class. */
  retryable?: boolean;
}

export interface StepState {
  step_id: string;
  status: StepStatus;
  /** Present for `success`; may be present for `failed` (partial output). */
  output?: unknown;
  /** Present for `failed`. */
  error?: StepError;
  /** UTC ISO-8601. */
  started_at: string;
  /** UTC ISO-8601; null while `running`. */
  completed_at: string | null;
}

export interface WebhookData {
  payload: unknown;
  query_params: Record<string, string | string[]>;
  headers: Record<string, string | string[]>;
}

export interface FileEntry {
  /** Object-storage key or path of the file. */
  path: string;
  filename: string;
  /** Bytes. */
  size: number;
  mime_type: string;
  row_count?: number;
  /** UTC ISO-8601. */
  created_at: string;
}

export interface JobContext {
  execution_id: string;
  job_id: string;
  /** Variable values as stored: secret values already masked by the caller. */
  variables: Record<string, string>;
  steps: Record<string, StepState>;
  webhook?: WebhookData;
  files: FileEntry[];
}

export interface CreateJobContextOptions {
  executionId: string;
  jobId: string;
  /** Values for storage, secrets masked (the clear values go to the TemplateScope only). */
  variables?: Record<string, string>;
  webhook?: WebhookData;
}

export function createJobContext(options: CreateJobContextOptions): JobContext {
  const context: JobContext = {
    execution_id: options.executionId,
    job_id: options.jobId,
    variables: { ...(options.variables ?? {}) },
    steps: {},
    files: [],
  };
  if (options.webhook !== undefined) context.webhook = options.webhook;
  return context;
}

/** A time given as Date or string, stored as UTC ISO-8601. */
export type TimeInput = Date | string | number;

function toIso(time: TimeInput | undefined, fallback: () => Date = () => new Date()): string {
  const date = time === undefined ? fallback() : time instanceof Date ? time : new Date(time);
  if (Number.isNaN(date.getTime())) throw new RangeError(`invalid time: ${String(time)}`);
  return date.toISOString();
}

/** Sets steps[stepId] without disturbing the order of the other steps. */
function withStep(context: JobContext, state: StepState): JobContext {
  const steps: Record<string, StepState> = { ...context.steps };
  Object.defineProperty(steps, state.step_id, { value: state, enumerable: true, writable: true, configurable: true });
  return { ...context, steps };
}

function startedAtOf(context: JobContext, stepId: string, given: TimeInput | undefined, completedAt: string): string {
  if (given !== undefined) return toIso(given);
  const existing = Object.prototype.hasOwnProperty.call(context.steps, stepId) ? context.steps[stepId] : undefined;
  return existing?.started_at ?? completedAt;
}

export interface StepTimes {
  /** Defaults to the `running` entry's started_at, else to completedAt. */
  startedAt?: TimeInput;
  /** Defaults to now. */
  completedAt?: TimeInput;
}

/** Records that a step started (status `running`, completed_at null). */
export function recordStepRunning(context: JobContext, stepId: string, startedAt?: TimeInput): JobContext {
  return withStep(context, { step_id: stepId, status: 'running', started_at: toIso(startedAt), completed_at: null });
}

/** Records a successful step and its output. */
export function recordStepSuccess(
  context: JobContext,
  stepId: string,
  output: unknown,
  times: StepTimes = {},
): JobContext {
  const completed = toIso(times.completedAt);
  return withStep(context, {
    step_id: stepId,
    status: 'success',
    output,
    started_at: startedAtOf(context, stepId, times.startedAt, completed),
    completed_at: completed,
  });
}

/** Turns anything thrown into a StepError (message, class name, retryable flag). */
export function toStepError(error: unknown): StepError {
  if (error instanceof Error) {
    const out: StepError = { message: error.message, type: error.name };
    const retryable = (error as { retryable?: unknown }).retryable;
    if (typeof retryable === 'boolean') out.retryable = retryable;
    return out;
  }
  if (typeof error === 'object' && error !== null && typeof (error as StepError).message === 'string') {
    const e = error as StepError;
    const out: StepError = { message: e.message };
    if (typeof e.type === 'string') out.type = e.type;
    if (typeof e.retryable === 'boolean') out.retryable = e.retryable;
    return out;
  }
  return { message: typeof error === 'string' ? error : String(error) };
}

/** Records a failed step. `error` may be an Error, a StepError or a string; pass masked text. */
export function recordStepFailure(
  context: JobContext,
  stepId: string,
  error: unknown,
  times: StepTimes & { output?: unknown } = {},
): JobContext {
  const completed = toIso(times.completedAt);
  const state: StepState = {
    step_id: stepId,
    status: 'failed',
    error: toStepError(error),
    started_at: startedAtOf(context, stepId, times.startedAt, completed),
    completed_at: completed,
  };
  if (times.output !== undefined) state.output = times.output;
  return withStep(context, state);
}

/** Records a step skipped because its condition was false (no output; started_at = completed_at). */
export function recordStepSkipped(context: JobContext, stepId: string, at?: TimeInput): JobContext {
  const when = toIso(at);
  return withStep(context, { step_id: stepId, status: 'skipped', started_at: when, completed_at: when });
}

/** Appends file entries to `files` (in order). */
export function appendFiles(context: JobContext, files: FileEntry | readonly FileEntry[]): JobContext {
  const list = Array.isArray(files) ? (files as readonly FileEntry[]) : [files as FileEntry];
  return { ...context, files: [...context.files, ...list] };
}

/** One invalid field of a step config; `path` is relative to the step (`config.method`). */
export interface StepConfigIssue {
  path: string;
  message: string;
}

export interface StepErrorOptions {
  /** Structured, secret-free data recorded with the error (status, body excerpt…). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** The JSON form a worker records in the execution and the Job Context. */
export interface StepErrorJson {
  name: string;
  code: string;
  message: string;
  retryable: boolean;
  details?: Record<string, unknown>;
}

/**
 * Base class of every error a step raises. The worker decides on retries from
 * `retryable` only (never from the message text). Messages and details never
 * carry credentials.
 */
export class StepError extends Error {
  readonly details?: Record<string, unknown>;

  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean,
    options: StepErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options.details !== undefined) this.details = options.details;
  }

  toJSON(): StepErrorJson {
    const json: StepErrorJson = { name: this.name, code: this.code, message: this.message, retryable: this.retryable };
    if (this.details !== undefined) json.details = this.details;
    return json;
  }
}

/** A transient failure: the worker retries the execution (within `max_retries`). */
export class RetryableStepError extends StepError {
  constructor(message: string, code = 'STEP_FAILED', options: StepErrorOptions = {}) {
    super(message, code, true, options);
  }
}

/** A permanent failure: retrying cannot help (like BullMQ's UnrecoverableError). */
export class UnrecoverableStepError extends StepError {
  constructor(message: string, code = 'STEP_FAILED', options: StepErrorOptions = {}) {
    super(message, code, false, options);
  }
}

/** The step config, after template resolution, is invalid. Lists every wrong field. */
export class StepConfigError extends UnrecoverableStepError {
  constructor(
    readonly stepType: string,
    readonly issues: StepConfigIssue[],
  ) {
    super(
      `invalid config for step type "${stepType}": ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      'STEP_CONFIG_INVALID',
      { details: { issues } },
    );
  }
}

/** No executor is registered for the step type. */
export class UnknownStepTypeError extends UnrecoverableStepError {
  constructor(readonly stepType: string, known: readonly string[]) {
    super(`unknown step type "${stepType}" (known: ${known.join(', ') || 'none'})`, 'UNKNOWN_STEP_TYPE', {
      details: { step_type: stepType, known_types: [...known] },
    });
  }
}

/**
 * The job-level signal was aborted (execution timeout or cancellation) while the
 * step ran. Not retryable: the execution itself is over. `reason` is the signal's reason.
 */
export class StepAbortedError extends StepError {
  constructor(readonly reason: unknown, options: { cause?: unknown } = {}) {
    super(`step aborted: ${describeReason(reason)}`, 'STEP_ABORTED', false, options);
  }
}

/** The step's own `timeout_seconds` elapsed. Retryable. */
export class StepTimeoutError extends RetryableStepError {
  constructor(readonly timeoutSeconds: number, options: { cause?: unknown } = {}) {
    super(`step timed out after ${timeoutSeconds}s`, 'STEP_TIMEOUT', {
      details: { timeout_seconds: timeoutSeconds },
      cause: options.cause,
    });
  }
}

/**
 * The worker's circuit breaker for the step's target is open: the step fails fast without
 * calling it. Retryable (the breaker lets a probe through after its open duration).
 */
export class CircuitOpenError extends RetryableStepError {
  constructor(readonly target: string, retryAt: Date | null) {
    super(`circuit open for ${target}`, 'CIRCUIT_OPEN', { details: { target, retry_at: retryAt ? retryAt.toISOString() : null } });
  }
}

/** Error codes that say the target itself is unhealthy (unreachable, not answering in time). */
const TARGET_UNHEALTHY_CODES = new Set(['HTTP_NETWORK_ERROR', 'STEP_TIMEOUT', 'SFTP_CONNECTION_ERROR', 'DATABASE_CONNECTION_FAILED']);

/**
 * Does this step error say its target is unhealthy — what a circuit breaker counts? Connection
 * refused/reset and other network failures, timeouts, HTTP 5xx: yes. HTTP 4xx (429 included: the
 * target answered), authentication, validation, SQL and file errors, aborts: no. Decided from
 * the error class and code, never the message.
 */
export function isTargetFailure(err: unknown): boolean {
  if (!(err instanceof StepError) || err instanceof CircuitOpenError) return false;
  if (err.code === 'HTTP_STATUS') {
    const status = err.details?.status;
    return typeof status === 'number' && status >= 500;
  }
  return TARGET_UNHEALTHY_CODES.has(err.code);
}

/** Errors that mean a bug (ours or the executor's), which a retry will not fix. */
const PROGRAMMING_ERRORS = ['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError'];

/**
 * Turns any thrown value into a StepError (used by ExecutorRegistry.run): StepErrors
 * pass through; with an aborted `signal` → StepAbortedError; programming errors
 * (TypeError, RangeError, ReferenceError, SyntaxError) → UnrecoverableStepError
 * `INTERNAL_ERROR`; anything else → RetryableStepError `UNEXPECTED_ERROR`.
 */
export function wrapStepError(err: unknown, signal?: AbortSignal): StepError {
  if (err instanceof StepError) return err;
  if (signal?.aborted) return new StepAbortedError(signal.reason, { cause: err });
  const message = errorMessage(err);
  // By name, not instanceof: errors from Node internals may come from another realm.
  const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
  if (typeof name === 'string' && PROGRAMMING_ERRORS.includes(name)) {
    return new UnrecoverableStepError(`internal error: ${message}`, 'INTERNAL_ERROR', { cause: err });
  }
  return new RetryableStepError(`unexpected error: ${message}`, 'UNEXPECTED_ERROR', { cause: err });
}

function errorMessage(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const { message, name } = err as { message?: unknown; name?: unknown };
    if (typeof message === 'string' && message) return message;
    if (typeof name === 'string' && name) return name;
  }
  return String(err);
}

function describeReason(reason: unknown): string {
  if (typeof reason === 'string') return reason;
  if (typeof reason === 'object' && reason !== null && ('message' in reason || 'name' in reason)) {
    return errorMessage(reason); // Error or DOMException (AbortError / TimeoutError), any realm
  }
  if (reason === undefined) return 'aborted';
  try {
    return JSON.stringify(reason) ?? String(reason);
  } catch {
    return String(reason);
  }
}

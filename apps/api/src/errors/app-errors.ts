/** A field-level problem in a request: JSON path + reason. */
export interface ErrorDetail {
  path: string;
  message: string;
}

/** Base of the errors the api maps to HTTP statuses (in HttpErrorFilter, one place). */
export abstract class AppError extends Error {
  abstract readonly status: number;
  /** Response headers that go with the status (e.g. Retry-After). */
  readonly headers: Record<string, string> = {};
  /** Extra fields of the error body (e.g. the execution a 409 is about). */
  readonly fields: Record<string, string> = {};
  constructor(message: string, public readonly details?: ErrorDetail[]) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends AppError {
  readonly status = 404;
}

export class ConflictError extends AppError {
  readonly status = 409;
}

/** Missing or bad credentials (a webhook signature); the message never says which check failed. */
export class UnauthorizedError extends AppError {
  readonly status = 401;
}

/** The caller is known but the action is not allowed (a disabled job or webhook trigger). */
export class ForbiddenError extends AppError {
  readonly status = 403;
}

/** The request body is over the configured limit. */
export class PayloadTooLargeError extends AppError {
  readonly status = 413;
}

/** Over a rate limit; `Retry-After` says in how many seconds a request can succeed. */
export class TooManyRequestsError extends AppError {
  readonly status = 429;
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
    this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}

/** The request is invalid; `details` lists every wrong field by JSON path. */
export class RequestValidationError extends AppError {
  readonly status = 400;
  constructor(details: ErrorDetail[], message = 'validation failed') {
    super(message, details);
  }
}

/** A dependency (database, object storage, queue) could not be reached. */
export class DependencyUnavailableError extends AppError {
  readonly status = 503;
}

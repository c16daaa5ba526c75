/** A field-level problem in a request: JSON path + reason. */
export interface ErrorDetail {
  path: string;
  message: string;
}

/** Base of the errors the api maps to HTTP statuses (in HttpErrorFilter, one place). */
export abstract class AppError extends Error {
  abstract readonly status: number;
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

/**
 * Base class of every error raised by `@vecron/storage`. Callers decide on retries
 * from `retryable` (never from the message text); `code` is a stable machine-readable name.
 */
export abstract class StorageError extends Error {
  abstract readonly code: string;
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** Raised when an object key does not exist in the bucket. */
export class ObjectNotFoundError extends StorageError {
  readonly code = 'OBJECT_NOT_FOUND';
  readonly retryable = false;

  constructor(
    public readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`object not found: ${key}`, options);
  }
}

/** Raised when the object store cannot be reached or refuses a request (retryable). */
export class StorageUnavailableError extends StorageError {
  readonly code = 'STORAGE_UNAVAILABLE';
  readonly retryable = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The store answered but rejected the request for a reason retrying cannot fix
 * (access denied, missing bucket, bad signature…). `s3Code` is the S3 error code.
 */
export class StorageRequestError extends StorageError {
  readonly code = 'STORAGE_REQUEST_REJECTED';
  readonly retryable = false;

  constructor(
    message: string,
    public readonly s3Code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * An object key, key prefix, id or filename that is empty, too long, or could
 * escape the storage key layout (`..`, `/` where not allowed, control characters).
 */
export class InvalidObjectKeyError extends StorageError {
  readonly code = 'INVALID_OBJECT_KEY';
  readonly retryable = false;

  constructor(
    /** What was being validated: `key`, `prefix`, `job id`, `filename`… */
    public readonly subject: string,
    public readonly value: unknown,
    public readonly reason: string,
  ) {
    super(`invalid ${subject} ${describe(value)}: ${reason}`);
  }
}

function describe(value: unknown): string {
  if (typeof value !== 'string') return `(${typeof value})`;
  // JSON.stringify escapes control characters, so the message stays one printable line.
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return JSON.stringify(shown);
}

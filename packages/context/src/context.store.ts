import { executionContextKey, type ObjectStorage } from '@vecron/storage';
import type { JobContext } from './job-context.model';

/** context.json exists but is not a Job Context (invalid JSON or missing fields). */
export class InvalidContextError extends Error {
  readonly retryable = false;
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid context at ${key}: ${reason}`);
    this.name = 'InvalidContextError';
  }
}

export interface ContextStoreOptions {
  storage: ObjectStorage;
}

/**
 * Saves and loads whole contexts at `jobs/{job_id}/executions/{execution_id}/context.json`.
 * Storage errors (ObjectNotFoundError, StorageUnavailableError) pass through unchanged.
 */
export class ContextStore {
  private readonly storage: ObjectStorage;

  constructor(options: ContextStoreOptions) {
    this.storage = options.storage;
  }

  /** The object key of an execution's context. */
  keyOf(jobId: string, executionId: string): string {
    return executionContextKey(jobId, executionId);
  }

  /**
   * Writes the whole context (replacing the previous version) and returns its key.
   * Dates become ISO-8601 strings and bigints decimal strings.
   */
  async save(context: JobContext): Promise<string> {
    const key = this.keyOf(context.job_id, context.execution_id);
    const body = JSON.stringify(context, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    await this.storage.put(key, body, { contentType: 'application/json' });
    return key;
  }

  /**
   * Reads a context. Throws ObjectNotFoundError (from @vecron/storage) when it was never saved,
   * InvalidContextError when the object is not a context.
   */
  async load(jobId: string, executionId: string): Promise<JobContext> {
    const key = this.keyOf(jobId, executionId);
    const raw = await this.storage.get(key);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw new InvalidContextError(key, err instanceof Error ? err.message : String(err));
    }
    const problem = checkShape(parsed);
    if (problem !== undefined) throw new InvalidContextError(key, problem);
    return parsed as JobContext;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkShape(value: unknown): string | undefined {
  if (!isRecord(value)) return 'not a JSON object';
  if (typeof value.execution_id !== 'string') return 'execution_id must be a string';
  if (typeof value.job_id !== 'string') return 'job_id must be a string';
  if (!isRecord(value.variables)) return 'variables must be an object';
  if (!isRecord(value.steps)) return 'steps must be an object';
  if (!Array.isArray(value.files)) return 'files must be an array';
  if (value.webhook !== undefined && !isRecord(value.webhook)) return 'webhook must be an object';
  return undefined;
}

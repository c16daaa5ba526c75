import { InvalidObjectKeyError } from './errors';

/**
 * The object-storage key layout (ARCHITECTURE.md), in one place:
 *
 * ```
 * jobs/{job_id}/definition.json
 * jobs/{job_id}/versions/{n}.json
 * jobs/{job_id}/executions/{execution_id}/context.json
 * jobs/{job_id}/executions/{execution_id}/output/{filename}
 * jobs/{job_id}/executions/{execution_id}/sftp/downloads/{filename}
 * ```
 *
 * Every function validates its inputs and throws InvalidObjectKeyError for
 * anything that could escape the layout. Prefixes end with `/`, so that the
 * prefix of job `1` never matches the objects of job `10`.
 */

/** S3 limit on the UTF-8 length of an object key. */
export const MAX_OBJECT_KEY_BYTES = 1024;
const MAX_ID_LENGTH = 128;
// C0 controls, DEL and C1 controls: invisible, and most cannot appear in S3's XML listings.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
const ID_CHARS = /^[A-Za-z0-9._-]+$/;

/** `jobs/{job_id}/` — everything stored for one job. */
export function jobPrefix(jobId: string): string {
  return `jobs/${checkId('job id', jobId)}/`;
}

/** `jobs/{job_id}/definition.json` — the current job definition. */
export function jobDefinitionKey(jobId: string): string {
  return `${jobPrefix(jobId)}definition.json`;
}

/** `jobs/{job_id}/versions/{n}.json` — an immutable copy of definition version `n` (an integer ≥ 1). */
export function jobDefinitionVersionKey(jobId: string, version: number): string {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new InvalidObjectKeyError('definition version', version, 'must be an integer >= 1');
  }
  return `${jobPrefix(jobId)}versions/${version}.json`;
}

/** `jobs/{job_id}/executions/{execution_id}/` — everything stored for one execution. */
export function executionPrefix(jobId: string, executionId: string): string {
  return `${jobPrefix(jobId)}executions/${checkId('execution id', executionId)}/`;
}

/** `jobs/{job_id}/executions/{execution_id}/context.json` — the Job Context, rewritten after every step. */
export function executionContextKey(jobId: string, executionId: string): string {
  return `${executionPrefix(jobId, executionId)}context.json`;
}

/**
 * `jobs/{job_id}/executions/{execution_id}/output/{filename}` — a file written by a step.
 * `filename` may contain sub-folders (`reports/day.csv`) but no empty, `.` or `..` segment.
 */
export function executionOutputKey(jobId: string, executionId: string, filename: string): string {
  return checkObjectKey(`${executionPrefix(jobId, executionId)}output/${checkFilename(filename)}`);
}

/**
 * `jobs/{job_id}/executions/{execution_id}/sftp/downloads/{filename}` — a file fetched by an SFTP step.
 * Same filename rules as executionOutputKey (sub-folders allowed for recursive downloads).
 */
export function sftpDownloadKey(jobId: string, executionId: string, filename: string): string {
  return checkObjectKey(`${executionPrefix(jobId, executionId)}sftp/downloads/${checkFilename(filename)}`);
}

/**
 * The key of a file a step names (`source_path`, `local_path`, a `data_ref`): a full key inside
 * this job's own prefix (`jobs/{job_id}/...`) is taken as it is; anything else is relative to the
 * execution's folder (`input/transactions.csv` → `jobs/{job_id}/executions/{execution_id}/input/transactions.csv`).
 * A key of another job is refused (InvalidObjectKeyError), so a template cannot read another job's data.
 */
export function executionFileKey(jobId: string, executionId: string, path: string): string {
  const own = jobPrefix(jobId);
  if (typeof path === 'string' && path.startsWith(own)) return checkObjectKey(path);
  if (typeof path === 'string' && path.startsWith('jobs/')) {
    throw new InvalidObjectKeyError('path', path, `must be inside this job's folder ${own} or relative to the execution's folder`);
  }
  return checkObjectKey(`${executionPrefix(jobId, executionId)}${checkFilename(path)}`);
}

/**
 * Validates a full object key as the ObjectStorage implementations accept it:
 * non-empty, at most 1024 UTF-8 bytes, no control characters, no leading `/`,
 * and no empty, `.` or `..` path segment (which filesystem-backed stores would resolve).
 * Returns the key unchanged.
 */
export function checkObjectKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidObjectKeyError('key', key, 'must be a non-empty string');
  }
  checkCommon('key', key);
  const bad = key.split('/').find((segment) => segment === '' || segment === '.' || segment === '..');
  if (bad !== undefined) {
    throw new InvalidObjectKeyError('key', key, bad === '' ? 'must not start or end with "/" or contain "//"' : `must not contain a "${bad}" segment`);
  }
  return key;
}

/**
 * Validates a key prefix (for list/deletePrefix). The empty prefix is allowed
 * (unless `allowEmpty` is false); the last segment may be partial (`jobs/12` matches `jobs/123/...`).
 */
export function checkKeyPrefix(prefix: string, options: { allowEmpty?: boolean } = {}): string {
  if (typeof prefix !== 'string') throw new InvalidObjectKeyError('prefix', prefix, 'must be a string');
  if (prefix.length === 0) {
    if (options.allowEmpty === false) throw new InvalidObjectKeyError('prefix', prefix, 'must not be empty');
    return prefix;
  }
  checkCommon('prefix', prefix);
  const complete = prefix.split('/').slice(0, -1);
  const bad = complete.find((segment) => segment === '' || segment === '.' || segment === '..');
  if (bad !== undefined) {
    throw new InvalidObjectKeyError('prefix', prefix, bad === '' ? 'must not start with "/" or contain "//"' : `must not contain a "${bad}" segment`);
  }
  return prefix;
}

function checkCommon(subject: string, value: string): void {
  if (CONTROL_CHARS.test(value)) throw new InvalidObjectKeyError(subject, value, 'must not contain control characters');
  if (Buffer.byteLength(value, 'utf8') > MAX_OBJECT_KEY_BYTES) {
    throw new InvalidObjectKeyError(subject, value, `must be at most ${MAX_OBJECT_KEY_BYTES} bytes (UTF-8)`);
  }
}

/** A job or execution id: one path segment of letters, digits, `.`, `_`, `-` (UUIDs fit), no `..`. */
function checkId(subject: string, id: string): string {
  if (typeof id !== 'string' || id.length === 0) throw new InvalidObjectKeyError(subject, id, 'must be a non-empty string');
  if (id.length > MAX_ID_LENGTH) throw new InvalidObjectKeyError(subject, id, `must be at most ${MAX_ID_LENGTH} characters`);
  if (!ID_CHARS.test(id)) throw new InvalidObjectKeyError(subject, id, 'may only contain letters, digits, ".", "_" and "-"');
  if (id.includes('..') || id === '.') throw new InvalidObjectKeyError(subject, id, 'must not be "." or contain ".."');
  return id;
}

/** A relative file path: `/`-separated segments, none empty, `.` or `..`; no backslash or control characters. */
function checkFilename(filename: string): string {
  if (typeof filename !== 'string' || filename.length === 0) {
    throw new InvalidObjectKeyError('filename', filename, 'must be a non-empty string');
  }
  checkCommon('filename', filename);
  if (filename.includes('\\')) throw new InvalidObjectKeyError('filename', filename, 'must not contain "\\"');
  for (const segment of filename.split('/')) {
    if (segment === '') {
      throw new InvalidObjectKeyError('filename', filename, 'must be relative: no leading or trailing "/", no "//"');
    }
    if (segment === '.' || segment === '..') {
      throw new InvalidObjectKeyError('filename', filename, `must not contain a "${segment}" segment`);
    }
  }
  return filename;
}

import { cloneJson, isPlainObject, NotJson } from './json-value';
import { childPath, type ValidationIssue } from './validation-issue';

/**
 * Job files written for the system vecron replaces (a Rust "Vietnam Enterprise Cron" with the
 * same JSON format) differ in a few places. convertLegacyDialect rewrites them into vecron's own
 * format, in this one place, before the definition is validated (POST/PUT /api/jobs, import,
 * `vecron validate`), and reports every change as a warning `{path, message}` (paths into the
 * document as written). The step config classes stay the only schemas: this only moves fields.
 *
 * - `notes` as one string → a list of one note (`notes` is documentation, kept as written);
 * - a step `type: "http_request"` with `method`, `url`, `headers`, `body`, `auth` (and
 *   `timeout_seconds`) at the step level → an `http` step whose `config` holds them;
 * - the older form where `type` is an object holding those fields (or `{"http_request": {…}}`)
 *   → the same `http` step;
 * - an `sftp` step with `verify_host_key`, `host_key` or `streaming` directly in `config` →
 *   moved into `config.options`, where the sftp step reads them.
 *
 * Already accepted as written by the step types themselves (no conversion, no warning): sftp
 * `options.verify_host_key: true` without `host_key` (the worker's known_hosts is used),
 * `options.streaming`, `timeout_seconds` inside an sftp `config`, and `target_type: "decimal"`
 * in file type conversions.
 */

export interface DialectConversion {
  /** The document in vecron's format (a copy; the input is never modified). */
  document: unknown;
  /** What was read differently from how it was written. */
  warnings: ValidationIssue[];
}

/** The legacy names of the HTTP step type. */
const HTTP_REQUEST_TYPES = new Set(['http_request', 'HttpRequest', 'httpRequest', 'HTTP_REQUEST']);
/** Fields of an http step that the legacy dialect writes beside `type` instead of inside `config`. */
const HTTP_FIELDS = ['method', 'url', 'headers', 'body', 'auth', 'timeout_seconds'] as const;
/** SFTP options the legacy dialect writes directly in `config`. */
const SFTP_OPTION_FIELDS = ['verify_host_key', 'host_key', 'streaming'] as const;

const has = (o: Record<string, unknown>, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** The object a legacy `type` object holds the request in: itself, or its single `http_request` member. */
function requestOf(type: Record<string, unknown>): Record<string, unknown> | undefined {
  const keys = Object.keys(type);
  if (keys.length === 1 && HTTP_REQUEST_TYPES.has(keys[0] as string) && isPlainObject(type[keys[0] as string])) {
    return type[keys[0] as string] as Record<string, unknown>;
  }
  if (keys.length === 1 && (keys[0] === 'http' || keys[0] === 'Http') && isPlainObject(type[keys[0] as string])) {
    return type[keys[0] as string] as Record<string, unknown>;
  }
  return has(type, 'url') || has(type, 'method') ? type : undefined;
}

function convertHttpStep(step: Record<string, unknown>, base: string, warnings: ValidationIssue[]): void {
  const type = step['type'];
  const config: Record<string, unknown> = isPlainObject(step['config']) ? { ...step['config'] } : {};
  const hadConfig = has(step, 'config');
  if (hadConfig && !isPlainObject(step['config'])) return; // a wrong config is reported by the validator
  const moveIn = (source: Record<string, unknown>, sourcePath: string, fromTypeObject: boolean): void => {
    for (const field of HTTP_FIELDS) {
      if (!has(source, field)) continue;
      const from = childPath(sourcePath, field);
      if (has(config, field)) {
        warnings.push({ path: from, message: `ignored: config.${field} is also given and is used` });
      } else {
        config[field] = source[field];
        warnings.push({ path: from, message: `read as config.${field} of an http step` });
      }
      if (!fromTypeObject) delete step[field];
    }
  };
  if (typeof type === 'string') {
    moveIn(step, base, false);
    warnings.push({ path: childPath(base, 'type'), message: `"${type}" read as "http"` });
  } else {
    const request = requestOf(type as Record<string, unknown>) as Record<string, unknown>;
    const requestPath = request === type ? childPath(base, 'type') : childPath(childPath(base, 'type'), Object.keys(type as object)[0] as string);
    moveIn(request, requestPath, true);
    // Step-level fields may sit beside the type object too.
    moveIn(step, base, false);
    warnings.push({ path: childPath(base, 'type'), message: 'an object holding the request read as type "http" with its fields in config' });
  }
  step['type'] = 'http';
  step['config'] = config;
}

function convertSftpStep(step: Record<string, unknown>, base: string, warnings: ValidationIssue[]): void {
  const config = step['config'];
  if (!isPlainObject(config)) return;
  const present = SFTP_OPTION_FIELDS.filter((f) => has(config, f));
  if (present.length === 0) return;
  const options = config['options'];
  if (has(config, 'options') && !isPlainObject(options)) return; // reported by the validator as written
  const merged: Record<string, unknown> = isPlainObject(options) ? { ...options } : {};
  for (const field of present) {
    const from = childPath(childPath(base, 'config'), field);
    if (has(merged, field)) warnings.push({ path: from, message: `ignored: config.options.${field} is also given and is used` });
    else {
      merged[field] = config[field];
      warnings.push({ path: from, message: `read as config.options.${field}` });
    }
    delete config[field];
  }
  config['options'] = merged;
}

/** Rewrites the legacy dialect into vecron's format (see the file comment); anything else is returned as a copy, unchanged. */
export function convertLegacyDialect(raw: unknown): DialectConversion {
  const warnings: ValidationIssue[] = [];
  if (!isPlainObject(raw)) return { document: raw, warnings };
  const copy = cloneJson(raw);
  // Not JSON (cycles, functions…): the validator reports it on the original.
  if (copy instanceof NotJson || !isPlainObject(copy)) return { document: raw, warnings };
  const document = copy;

  if (typeof document['notes'] === 'string') {
    document['notes'] = [document['notes']];
    warnings.push({ path: 'notes', message: 'one note read as a list of one note' });
  }

  const steps = document['steps'];
  if (Array.isArray(steps)) {
    steps.forEach((step: unknown, i) => {
      if (!isPlainObject(step)) return;
      const base = `steps[${i}]`;
      const type = step['type'];
      if ((typeof type === 'string' && HTTP_REQUEST_TYPES.has(type)) || (isPlainObject(type) && requestOf(type) !== undefined)) {
        convertHttpStep(step, base, warnings);
      } else if (type === 'sftp') {
        convertSftpStep(step, base, warnings);
      }
    });
  }
  return { document, warnings };
}

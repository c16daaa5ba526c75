/**
 * One wrong field of a job definition. `path` is a JSON path into the submitted document
 * (`name`, `schedule.expression`, `steps[2].config.method`, `steps[0].config.headers["X-Key"]`,
 * `` for the document itself); `message` says what is wrong without repeating the path
 * (`must be one of GET, POST, PUT, PATCH, DELETE`).
 */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Formats issues as `path: message` lines (`(root)` for the empty path). */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => `${i.path === '' ? '(root)' : i.path}: ${i.message}`).join('; ');
}

/**
 * A rejected job definition (thrown by assertValidJobDefinition). `issues` lists every wrong
 * field; the api returns them as the `details` of its 400 response. Permanent: not retryable.
 */
export class JobDefinitionValidationError extends Error {
  readonly retryable = false;
  readonly issues: ValidationIssue[];

  constructor(issues: readonly ValidationIssue[]) {
    const shown = issues.slice(0, 5);
    const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : '';
    super(`invalid job definition: ${formatIssues(shown)}${more}`);
    this.name = 'JobDefinitionValidationError';
    this.issues = issues.map((i) => ({ path: i.path, message: i.message }));
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Appends a key or index to a JSON path (`a.b`, `a[0]`, `a["X-Key"]`). */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (IDENTIFIER.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

/** Joins a parent path and a relative path given in the same notation (`url`, `[0]`, `a.b`). */
export function joinPath(parent: string, relative: string): string {
  if (relative === '') return parent;
  if (parent === '') return relative.startsWith('.') ? relative.slice(1) : relative;
  if (relative.startsWith('[') || relative.startsWith('.')) return `${parent}${relative}`;
  return `${parent}.${relative}`;
}

/** True when `path` is strictly inside `ancestor` (`a.b` and `a[0]` are inside `a`). */
export function isInside(path: string, ancestor: string): boolean {
  if (ancestor === '') return path !== '';
  return path.length > ancestor.length && path.startsWith(ancestor) && /^[.[]/.test(path.slice(ancestor.length));
}

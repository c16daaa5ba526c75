import type { JobContext, TimeInput } from './job-context.model';
import { formatPath, hasOwn, type LookupResult, type ParsedPath, type PathSegment, walk } from './path';

/** Default time zone of jobs (ARCHITECTURE.md, invariant 6). */
export const DEFAULT_TIMEZONE = 'Asia/Ho_Chi_Minh';

/** Values templates can read that are not stored in context.json. */
export interface SystemValues {
  /** YYYY-MM-DD of the execution start in the job's time zone. */
  execution_date?: string;
  /** 1 for the first run of the execution, 2 for the first retry… */
  attempt?: number;
  /** `scheduled`, `manual`, `webhook`, … */
  trigger_source?: string;
}

/** What templates and conditions are resolved against. */
export interface TemplateScope {
  context: JobContext;
  /** Clear-text variable values (job-scoped already merged over global by the caller). */
  variables: Readonly<Record<string, string>>;
  system: SystemValues;
}

export interface CreateTemplateScopeOptions {
  context: JobContext;
  variables?: Readonly<Record<string, string>>;
  /** Start instant of the execution; gives `execution_date`. */
  startedAt?: TimeInput;
  /** IANA time zone of the job; default Asia/Ho_Chi_Minh. */
  timezone?: string;
  attempt?: number;
  triggerSource?: string;
}

export function createTemplateScope(options: CreateTemplateScopeOptions): TemplateScope {
  const system: SystemValues = {};
  const { startedAt } = options;
  if (startedAt !== undefined) {
    // Formatted on first read (most steps never read it): an own, enumerable value like the others.
    let date: string | undefined;
    Object.defineProperty(system, 'execution_date', {
      enumerable: true,
      configurable: true,
      get: () => (date ??= executionDate(startedAt, options.timezone ?? DEFAULT_TIMEZONE)),
    });
  }
  if (options.attempt !== undefined) system.attempt = options.attempt;
  if (options.triggerSource !== undefined) system.trigger_source = options.triggerSource;
  return { context: options.context, variables: options.variables ?? {}, system };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * The calendar date (YYYY-MM-DD) of `instant` in `timeZone`, computed with Intl.
 * Throws RangeError for an invalid instant or an unknown time zone.
 */
export function executionDate(instant: TimeInput, timeZone: string = DEFAULT_TIMEZONE): string {
  const date = instant instanceof Date ? instant : new Date(instant);
  if (Number.isNaN(date.getTime())) throw new RangeError(`invalid execution start: ${String(instant)}`);
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      era: 'short',
    });
    formatters.set(timeZone, formatter);
  }
  let year = '';
  let month = '';
  let day = '';
  let bc = false;
  for (const part of formatter.formatToParts(date)) {
    if (part.type === 'year') year = part.value;
    else if (part.type === 'month') month = part.value;
    else if (part.type === 'day') day = part.value;
    else if (part.type === 'era') bc = part.value === 'BC' || part.value === 'B';
  }
  const y = Number(year);
  const yearText = bc ? `-${String(y - 1).padStart(6, '0')}` : y > 9999 ? `+${String(y).padStart(6, '0')}` : String(y).padStart(4, '0');
  return `${yearText}-${month}-${day}`;
}

/**
 * Looks a parsed path up in the scope. Never throws; reports the failing prefix.
 * - `steps.<id>.response` is an alias of `steps.<id>.output`;
 * - `steps.<id>.output` of a step without output fails with `step "<id>" has no output (status <s>)`;
 * - `variables.NAME` reads the clear-text map of the scope;
 * - `webhook` fails when the execution has no webhook data.
 */
export function lookupPath(path: ParsedPath, scope: TemplateScope): LookupResult {
  const { context, system } = scope;
  const segs = path.segments;
  switch (path.root) {
    case 'execution_id':
    case 'job_id':
      return scalar(context[path.root], segs, path.root);
    case 'execution_date':
    case 'attempt':
    case 'trigger_source': {
      const value = hasOwn(system, path.root) ? system[path.root] : undefined;
      if (value === undefined) return { found: false, failedAt: 0, reason: `${path.root} is not available` };
      return scalar(value, segs, path.root);
    }
    case 'files':
      return walk(context.files, segs, 0);
    case 'webhook':
      if (context.webhook === undefined) {
        return { found: false, failedAt: 0, reason: 'no webhook data (the execution was not triggered by a webhook)' };
      }
      return walk(context.webhook, segs, 0);
    case 'variables': {
      const first = segs[0];
      if (first === undefined || first.kind !== 'key') {
        return { found: false, failedAt: 0, reason: 'variables needs a name (variables.NAME)' };
      }
      if (!hasOwn(scope.variables, first.key) || typeof scope.variables[first.key] !== 'string') {
        return { found: false, failedAt: 1, reason: `variable ${first.key} is not defined` };
      }
      return walk(scope.variables[first.key], segs, 1);
    }
    case 'steps':
      return lookupStep(context, segs);
    default:
      return { found: false, failedAt: 0, reason: `unknown root "${path.root}"` };
  }
}

function scalar(value: unknown, segs: PathSegment[], root: string): LookupResult {
  if (segs.length > 0) return { found: false, failedAt: 1, reason: `${root} is a plain value and has no fields` };
  return { found: true, value };
}

function lookupStep(context: JobContext, segs: PathSegment[]): LookupResult {
  const first = segs[0];
  if (first === undefined) return { found: true, value: context.steps };
  if (first.kind !== 'key') {
    return { found: false, failedAt: 1, reason: 'expected a step id after "steps" (steps.<id>)' };
  }
  const state = hasOwn(context.steps, first.key) ? context.steps[first.key] : undefined;
  if (state === undefined) return { found: false, failedAt: 1, reason: `step "${first.key}" not found in the context` };
  const second = segs[1];
  if (second === undefined) return { found: true, value: state };
  if (second.kind === 'key' && (second.key === 'output' || second.key === 'response')) {
    if (!hasOwn(state, 'output') || state.output === undefined) {
      return { found: false, failedAt: 2, reason: `step "${first.key}" has no output (status ${state.status})` };
    }
    return walk(state.output, segs, 2);
  }
  return walk(state, segs, 1);
}

/** The text of the failing prefix of a path, for messages. */
export function failedPrefix(path: ParsedPath, failedAt: number): string {
  return formatPath(path, Math.max(0, failedAt));
}

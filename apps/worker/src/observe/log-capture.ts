import { format } from 'util';
import pino, { type Logger } from 'pino';
import type { ExecutionLogLine } from '@vecron/db';

/** A logger property holding the capture of its execution's lines (pino children inherit it). */
export const LOG_CAPTURE = Symbol('vecron.log.capture');

type CapturingLogger = Logger & { [LOG_CAPTURE]?: LogCapture };

/** Bindings every captured line would repeat: left out. */
const OMITTED = new Set(['job_id', 'execution_id', 'step_id', 'trace_id', 'span_id']);
/** A line whose fields serialise longer than this keeps its message only. */
const MAX_LINE_CHARS = 8_192;

function plain(value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { type: value.name, message: value.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return value;
}

/**
 * The lines one execution logs, kept in memory while it runs (bounded by `maxLines`; the rest are
 * counted) and written once when it ends. Filled by the worker's logMethod hook, after the
 * execution's secrets were masked.
 */
export class LogCapture {
  readonly lines: ExecutionLogLine[] = [];
  dropped = 0;

  constructor(private readonly maxLines: number) {}

  add(logger: Logger, args: readonly unknown[], level: number): void {
    if (this.lines.length >= this.maxLines) {
      this.dropped++;
      return;
    }
    const [first, ...rest] = args;
    let fields: Record<string, unknown> = {};
    let msg: string;
    if (typeof first === 'string') {
      msg = rest.length ? format(first, ...rest) : first;
    } else {
      if (first instanceof Error) fields = { err: plain(first) };
      else if (first && typeof first === 'object') for (const [k, v] of Object.entries(first)) if (!OMITTED.has(k)) fields[k] = plain(v);
      const [m, ...params] = rest;
      msg = typeof m === 'string' ? (params.length ? format(m, ...params) : m) : first instanceof Error ? first.message : '';
    }
    const given = first && typeof first === 'object' && !(first instanceof Error) ? (first as { step_id?: unknown }).step_id : undefined;
    const stepId = given ?? logger.bindings().step_id;
    const line: ExecutionLogLine = {
      time: new Date().toISOString(),
      level: pino.levels.labels[level] ?? String(level),
      msg,
      ...(typeof stepId === 'string' ? { step_id: stepId } : {}),
      ...fields,
    };
    let size = 0;
    try {
      size = JSON.stringify(line).length;
    } catch {
      size = Infinity; // a circular field
    }
    this.lines.push(size > MAX_LINE_CHARS ? { time: line.time, level: line.level, msg: msg.slice(0, MAX_LINE_CHARS), ...(line.step_id ? { step_id: line.step_id } : {}), fields_truncated: true } : line);
  }
}

/** Starts capturing the lines of `log` and of every child it gets. */
export function startCapture(log: Logger, maxLines: number): LogCapture {
  const capture = new LogCapture(maxLines);
  (log as CapturingLogger)[LOG_CAPTURE] = capture;
  return capture;
}

/** Stops capturing `log`'s lines; returns what was captured. */
export function stopCapture(log: Logger): LogCapture | undefined {
  const l = log as CapturingLogger;
  const capture = l[LOG_CAPTURE];
  if (capture) l[LOG_CAPTURE] = undefined;
  return capture;
}

/** Called by the logMethod hook for every line: records it when its logger is being captured. */
export function captureLogLine(logger: Logger, args: readonly unknown[], level: number): void {
  const capture = (logger as CapturingLogger)[LOG_CAPTURE];
  if (capture) capture.add(logger, args, level);
}

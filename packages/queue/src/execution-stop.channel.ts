/**
 * The Redis pub/sub channel on which the api announces a stop of a running execution. Every
 * worker subscribes (on a connection of its own); the one holding the execution aborts it, the
 * others ignore the message. Pub/sub is fire-and-forget: the stop is also recorded on the row
 * (`cancel_requested_at`), which the worker checks at its claim, between steps and at each
 * heartbeat, so a missed message only delays the stop.
 */
export function executionStopChannel(prefix: string): string {
  return `${prefix}:execution-stop`;
}

/** One stop announcement. */
export interface ExecutionStopMessage {
  execution_id: string;
  /** When the stop was asked for (ISO-8601). */
  requested_at: string;
  /** Who asked: 'api' (no users yet). */
  requested_by: string;
  requested_by_user_id: string | null;
}

export function encodeExecutionStop(m: ExecutionStopMessage): string {
  return JSON.stringify(m);
}

/** The message, or null when it is not a stop announcement. */
export function decodeExecutionStop(raw: string): ExecutionStopMessage | null {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const m = v as Record<string, unknown>;
  if (typeof m.execution_id !== 'string' || typeof m.requested_at !== 'string' || typeof m.requested_by !== 'string') return null;
  if (Number.isNaN(Date.parse(m.requested_at))) return null;
  const user = typeof m.requested_by_user_id === 'string' ? m.requested_by_user_id : null;
  return { execution_id: m.execution_id, requested_at: m.requested_at, requested_by: m.requested_by, requested_by_user_id: user };
}

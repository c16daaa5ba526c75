/** The three states of a circuit breaker. */
export type CircuitStateName = 'closed' | 'open' | 'half_open';

/** One target's breaker as stored (shared by every worker). Times are epoch milliseconds. */
export interface CircuitRecord {
  state: CircuitStateName;
  /** Times of the failures counted in the current window (closed state). */
  failures: number[];
  /** When it last opened. */
  opened_at: number | null;
  /** Open: when it lets a probe through. */
  open_until: number | null;
  /** The failure window of the workers that wrote it (for readers without the settings). */
  window_ms: number;
  /** half_open: when the one probe in flight was let through (null: none in flight). */
  probe_started_at: number | null;
  /** Last change. */
  updated_at: number;
}

/** Thresholds of every breaker (worker env CIRCUIT_BREAKER_*). */
export interface CircuitSettings {
  /** Failures within `windowMs` that open the breaker. */
  failureThreshold: number;
  windowMs: number;
  /** How long an open breaker fails fast before letting one probe through. */
  openMs: number;
  /** A probe not reported within this time (its worker died) lets another probe through. */
  probeTimeoutMs: number;
}

/** A change of state, kept in the target's recent history and logged. */
export interface CircuitTransition {
  from: CircuitStateName;
  to: CircuitStateName;
  /** ISO-8601. */
  at: string;
  reason: string;
}

/** How a call through the breaker ended. */
export type CallOutcome =
  /** The target answered (a success, or an error that says nothing about its health: 4xx, validation). */
  | 'success'
  /** The target looks unhealthy (connection refused/reset, timeout, HTTP 5xx). */
  | 'failure'
  /** Nothing learnt (the step was aborted): a probe is released, nothing is counted. */
  | 'neutral';

/** What a state-machine step decided: the new record (null: unchanged) and the transition, if any. */
export interface CircuitStep<D = undefined> {
  next: CircuitRecord | null;
  transition?: CircuitTransition;
  decision: D;
}

export type AcquireDecision = { allowed: true; probe: boolean } | { allowed: false; state: CircuitStateName; retry_at: number | null };

export function closedCircuit(now: number, windowMs = 60_000): CircuitRecord {
  return { state: 'closed', failures: [], opened_at: null, open_until: null, window_ms: windowMs, probe_started_at: null, updated_at: now };
}

function openCircuit(now: number, s: CircuitSettings): CircuitRecord {
  return { state: 'open', failures: [], opened_at: now, open_until: now + s.openMs, window_ms: s.windowMs, probe_started_at: null, updated_at: now };
}

function transition(from: CircuitStateName, to: CircuitStateName, now: number, reason: string): CircuitTransition {
  return { from, to, at: new Date(now).toISOString(), reason };
}

/**
 * Before a call: closed lets it through; open fails fast until `openMs` has passed, then turns
 * half-open and lets this one call through as the probe; half-open fails fast while its probe is
 * in flight (a probe unreported for `probeTimeoutMs` is presumed lost and replaced).
 */
export function acquireCircuit(rec: CircuitRecord | null, now: number, s: CircuitSettings): CircuitStep<AcquireDecision> {
  if (!rec || rec.state === 'closed') return { next: null, decision: { allowed: true, probe: false } };
  if (rec.state === 'open') {
    const until = (rec.opened_at ?? now) + s.openMs;
    if (now < until) return { next: null, decision: { allowed: false, state: 'open', retry_at: until } };
    return {
      next: { ...rec, state: 'half_open', probe_started_at: now, updated_at: now },
      transition: transition('open', 'half_open', now, `open for ${s.openMs} ms: letting one probe through`),
      decision: { allowed: true, probe: true },
    };
  }
  if (rec.probe_started_at !== null && now < rec.probe_started_at + s.probeTimeoutMs) {
    return { next: null, decision: { allowed: false, state: 'half_open', retry_at: null } };
  }
  return { next: { ...rec, probe_started_at: now, updated_at: now }, decision: { allowed: true, probe: true } };
}

/**
 * Whether `recordCircuit` can change anything for this outcome: only a failure, or the end of a
 * half-open probe, does. Any other end leaves every state as it is, so it needs no read of it.
 */
export function recordChangesCircuit(outcome: CallOutcome, probe: boolean): boolean {
  return outcome === 'failure' || probe;
}

/**
 * After a call. Closed: a failure is counted (failures older than the window are dropped) and the
 * threshold-th opens the breaker; a success changes nothing. Half-open: the probe's success
 * closes it, its failure opens it again, a neutral end releases the probe; results of calls let
 * through before (not the probe) are ignored. Open: nothing changes.
 */
export function recordCircuit(
  rec: CircuitRecord | null,
  outcome: CallOutcome,
  probe: boolean,
  now: number,
  s: CircuitSettings,
  detail = '',
): CircuitStep {
  const current = rec ?? closedCircuit(now, s.windowMs);
  const why = detail ? `: ${detail}` : '';
  if (current.state === 'closed') {
    if (outcome !== 'failure') return { next: null, decision: undefined };
    const failures = [...current.failures.filter((t) => t > now - s.windowMs), now];
    if (failures.length < s.failureThreshold) return { next: { ...current, failures, window_ms: s.windowMs, updated_at: now }, decision: undefined };
    return {
      next: openCircuit(now, s),
      transition: transition('closed', 'open', now, `${failures.length} failures within ${s.windowMs} ms${why}`),
      decision: undefined,
    };
  }
  if (current.state === 'half_open' && probe) {
    if (outcome === 'success') {
      return { next: closedCircuit(now, s.windowMs), transition: transition('half_open', 'closed', now, 'probe succeeded'), decision: undefined };
    }
    if (outcome === 'failure') {
      return {
        next: openCircuit(now, s),
        transition: transition('half_open', 'open', now, `probe failed${why}`),
        decision: undefined,
      };
    }
    return { next: { ...current, probe_started_at: null, updated_at: now }, decision: undefined };
  }
  return { next: null, decision: undefined };
}

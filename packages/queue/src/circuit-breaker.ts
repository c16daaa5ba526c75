import type { Logger } from 'pino';
import {
  acquireCircuit,
  recordChangesCircuit,
  recordCircuit,
  type AcquireDecision,
  type CallOutcome,
  type CircuitRecord,
  type CircuitSettings,
  type CircuitStateName,
  type CircuitStep,
  type CircuitTransition,
} from './circuit-state';

/** Defaults of the breakers: 5 failures in 60 s open one for 30 s. */
export const DEFAULT_CIRCUIT_SETTINGS: CircuitSettings = { failureThreshold: 5, windowMs: 60_000, openMs: 30_000, probeTimeoutMs: 120_000 };

/** The commands of an ioredis client the breakers use (any ioredis `Redis` fits). */
export interface CircuitRedisClient {
  get(key: string): Promise<string | null>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  lrange(key: string, start: number, stop: number): Promise<string[]>;
  smembers(key: string): Promise<string[]>;
  srem(key: string, ...members: string[]): Promise<number>;
}

/**
 * Compare-and-set of one breaker, atomic in Redis: the new record is written only if the stored
 * one is still the one the caller read (KEYS[1]; ARGV[1] '' = absent); a transition is pushed to
 * the target's history (KEYS[2], trimmed to ARGV[4] entries) and the target to the index
 * (KEYS[3]). Keys expire after ARGV[5] ms without a change. Returns 1 when written, 0 when
 * another worker changed the record first (the caller reads again and decides again).
 */
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[5])
if ARGV[3] ~= '' then
  redis.call('LPUSH', KEYS[2], ARGV[3])
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[4]) - 1)
end
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('SADD', KEYS[3], ARGV[6])
return 1
`;

/** One target's breaker as `GET /api/system/circuits` shows it. */
export interface CircuitSnapshot {
  target: string;
  state: CircuitStateName;
  /** Failures counted in the current window (closed state). */
  failure_count: number;
  opened_at: string | null;
  /** When an open breaker lets a probe through. */
  retry_at: string | null;
  updated_at: string;
  /** Newest first. */
  transitions: CircuitTransition[];
}

export interface CircuitBreakersOptions {
  redis: CircuitRedisClient;
  /** Key prefix (QUEUE_PREFIX): keys are `{prefix}:circuit:…`. */
  prefix: string;
  settings?: Partial<CircuitSettings>;
  logger: Logger;
  /** Epoch milliseconds; injectable for tests. */
  clock?: () => number;
  /** Transitions kept per target (default 20). */
  historySize?: number;
  /** A breaker untouched this long is forgotten (default 7 days). */
  ttlMs?: number;
}

/** What `acquire` let through: pass it back to `record`. */
export interface CircuitPermit {
  target: string;
  probe: boolean;
}

/** Each round of a contended compare-and-set lets at least one writer through. */
const MAX_CAS_TRIES = 50;

/**
 * Circuit breakers shared by every worker through Redis, one per target (`host:port`,
 * `host:port/db`). The state machine is the pure `acquireCircuit` / `recordCircuit`; the state
 * lives only in Redis (no per-process truth): each decision reads the record and writes the
 * change with an atomic compare-and-set (retried when another worker changed it meanwhile).
 * A healthy target costs one GET per call (its `acquire`; a success that is not a probe is not
 * even read back, as it changes nothing).
 * Transitions are logged (with the caller's logger bindings) and kept in a short history.
 */
export class CircuitBreakers {
  private readonly settings: CircuitSettings;
  private readonly clock: () => number;
  private readonly historySize: number;
  private readonly ttlMs: number;

  constructor(private readonly o: CircuitBreakersOptions) {
    this.settings = { ...DEFAULT_CIRCUIT_SETTINGS, ...o.settings };
    this.clock = o.clock ?? Date.now;
    this.historySize = o.historySize ?? 20;
    this.ttlMs = o.ttlMs ?? 7 * 86_400_000;
  }

  /** May a call to `target` go through now? A denied call should fail fast (`circuit open for <target>`). */
  async acquire(target: string, log: Logger = this.o.logger): Promise<{ permit: CircuitPermit } | { denied: Exclude<AcquireDecision, { allowed: true }> }> {
    const decision = await this.update(target, log, (rec, now) => acquireCircuit(rec, now, this.settings));
    return decision.allowed ? { permit: { target, probe: decision.probe } } : { denied: decision };
  }

  /** Reports how a call let through by `acquire` ended. */
  async record(permit: CircuitPermit, outcome: CallOutcome, log: Logger = this.o.logger, detail = ''): Promise<void> {
    // A success (or a neutral end) of a call that was not a probe changes no state: no round trip.
    if (!recordChangesCircuit(outcome, permit.probe)) return;
    await this.update(permit.target, log, (rec, now) => recordCircuit(rec, outcome, permit.probe, now, this.settings, detail));
  }

  /** Every known target's breaker, by target name. */
  async list(): Promise<CircuitSnapshot[]> {
    const targets = (await this.o.redis.smembers(this.indexKey())).sort();
    const out: CircuitSnapshot[] = [];
    for (const target of targets) {
      const snapshot = await this.get(target);
      if (snapshot) out.push(snapshot);
      else await this.o.redis.srem(this.indexKey(), target);
    }
    return out;
  }

  /** One target's breaker; null when it never failed (or was forgotten). */
  async get(target: string): Promise<CircuitSnapshot | null> {
    const raw = await this.o.redis.get(this.stateKey(target));
    if (raw === null) return null;
    const rec = JSON.parse(raw) as CircuitRecord;
    const history = await this.o.redis.lrange(this.historyKey(target), 0, this.historySize - 1);
    const now = this.clock();
    return {
      target,
      state: rec.state,
      failure_count: rec.state === 'closed' ? rec.failures.filter((t) => t > now - rec.window_ms).length : 0,
      opened_at: rec.opened_at === null ? null : new Date(rec.opened_at).toISOString(),
      retry_at: rec.state === 'open' && rec.open_until !== null ? new Date(rec.open_until).toISOString() : null,
      updated_at: new Date(rec.updated_at).toISOString(),
      transitions: history.map((h) => JSON.parse(h) as CircuitTransition),
    };
  }

  private async update<D>(target: string, log: Logger, step: (rec: CircuitRecord | null, now: number) => CircuitStep<D>): Promise<D> {
    for (let i = 0; ; i++) {
      const raw = await this.o.redis.get(this.stateKey(target));
      const result = step(raw === null ? null : (JSON.parse(raw) as CircuitRecord), this.clock());
      if (!result.next) return result.decision;
      const written = await this.o.redis.eval(
        COMPARE_AND_SET,
        3,
        this.stateKey(target),
        this.historyKey(target),
        this.indexKey(),
        raw ?? '',
        JSON.stringify(result.next),
        result.transition ? JSON.stringify(result.transition) : '',
        this.historySize,
        this.ttlMs,
        target,
      );
      if (Number(written) === 1) {
        if (result.transition) {
          const { from, to, reason } = result.transition;
          const level = to === 'closed' ? 'info' : 'warn';
          log[level]({ circuit_target: target, circuit_from: from, circuit_to: to, reason }, `circuit ${to === 'half_open' ? 'half-open' : to} for ${target}`);
        }
        return result.decision;
      }
      // Another worker changed the breaker between the read and the write: decide again.
      if (i + 1 >= MAX_CAS_TRIES) throw new Error(`circuit breaker for ${target}: too much contention`);
      await new Promise((r) => setTimeout(r, Math.random() * 3));
    }
  }

  private stateKey(target: string): string {
    return `${this.o.prefix}:circuit:${target}:state`;
  }

  private historyKey(target: string): string {
    return `${this.o.prefix}:circuit:${target}:transitions`;
  }

  private indexKey(): string {
    return `${this.o.prefix}:circuits`;
  }
}

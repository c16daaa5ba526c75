import { acquireCircuit, closedCircuit, recordChangesCircuit, recordCircuit, type CircuitRecord, type CircuitSettings } from './circuit-state';

const s: CircuitSettings = { failureThreshold: 3, windowMs: 10_000, openMs: 5_000, probeTimeoutMs: 20_000 };

/** Applies a step's change to the record (what the Redis compare-and-set does). */
function apply(rec: CircuitRecord | null, step: { next: CircuitRecord | null }): CircuitRecord | null {
  return step.next ?? rec;
}

function failTimes(rec: CircuitRecord | null, times: number[]): CircuitRecord | null {
  for (const t of times) rec = apply(rec, recordCircuit(rec, 'failure', false, t, s));
  return rec;
}

describe('circuit breaker state machine (injected clock)', () => {
  it('a closed breaker lets calls through and a success writes nothing', () => {
    expect(acquireCircuit(null, 0, s)).toEqual({ next: null, decision: { allowed: true, probe: false } });
    expect(recordCircuit(closedCircuit(0), 'success', false, 1, s).next).toBeNull();
  });

  it('opens at the threshold-th failure within the window, naming the count and the error', () => {
    let rec = failTimes(null, [1_000, 2_000]);
    expect(rec!.state).toBe('closed');
    expect(rec!.failures).toEqual([1_000, 2_000]);
    const step = recordCircuit(rec, 'failure', false, 3_000, s, 'HTTP 503');
    rec = apply(rec, step);
    expect(rec!.state).toBe('open');
    expect(rec!.opened_at).toBe(3_000);
    expect(step.transition).toEqual({ from: 'closed', to: 'open', at: new Date(3_000).toISOString(), reason: '3 failures within 10000 ms: HTTP 503' });
  });

  it('does not open when the failures are spread over more than the window', () => {
    const rec = failTimes(null, [0, 6_000, 12_000]);
    expect(rec!.state).toBe('closed');
    expect(rec!.failures).toEqual([6_000, 12_000]);
  });

  it('neutral and success outcomes are not counted as failures', () => {
    let rec = failTimes(null, [0, 1]);
    rec = apply(rec, recordCircuit(rec, 'neutral', false, 2, s));
    rec = apply(rec, recordCircuit(rec, 'success', false, 3, s));
    expect(rec!.state).toBe('closed');
    expect(rec!.failures).toHaveLength(2);
  });

  it('fails fast while open, then lets exactly one probe through when half-open', () => {
    const open = failTimes(null, [0, 1, 2])!;
    expect(acquireCircuit(open, 4_999, s).decision).toEqual({ allowed: false, state: 'open', retry_at: 5_002 });
    const probe = acquireCircuit(open, 5_002, s);
    expect(probe.decision).toEqual({ allowed: true, probe: true });
    expect(probe.transition).toMatchObject({ from: 'open', to: 'half_open' });
    const half = apply(open, probe)!;
    expect(half.state).toBe('half_open');
    expect(acquireCircuit(half, 5_003, s).decision).toEqual({ allowed: false, state: 'half_open', retry_at: null });
  });

  it('half-open → closed when the probe succeeds', () => {
    const half = apply(failTimes(null, [0, 1, 2]), acquireCircuit(failTimes(null, [0, 1, 2]), 6_000, s))!;
    const step = recordCircuit(half, 'success', true, 6_100, s);
    expect(step.next).toEqual(closedCircuit(6_100, s.windowMs));
    expect(step.transition).toMatchObject({ from: 'half_open', to: 'closed', reason: 'probe succeeded' });
  });

  it('half-open → open again when the probe fails, and the open time restarts', () => {
    const open = failTimes(null, [0, 1, 2]);
    const half = apply(open, acquireCircuit(open, 6_000, s))!;
    const step = recordCircuit(half, 'failure', true, 6_100, s, 'ECONNREFUSED');
    expect(step.next).toMatchObject({ state: 'open', opened_at: 6_100 });
    expect(step.transition).toMatchObject({ from: 'half_open', to: 'open', reason: 'probe failed: ECONNREFUSED' });
    expect(acquireCircuit(step.next, 11_099, s).decision.allowed).toBe(false);
    expect(acquireCircuit(step.next, 11_100, s).decision).toEqual({ allowed: true, probe: true });
  });

  it('ignores results of calls that are not the probe while half-open', () => {
    const open = failTimes(null, [0, 1, 2]);
    const half = apply(open, acquireCircuit(open, 6_000, s))!;
    expect(recordCircuit(half, 'success', false, 6_050, s).next).toBeNull();
    expect(recordCircuit(half, 'failure', false, 6_050, s).next).toBeNull();
  });

  it('a neutral probe (aborted) releases the probe slot; a lost probe is replaced after the probe timeout', () => {
    const open = failTimes(null, [0, 1, 2]);
    const half = apply(open, acquireCircuit(open, 6_000, s))!;
    const released = apply(half, recordCircuit(half, 'neutral', true, 6_100, s))!;
    expect(released).toMatchObject({ state: 'half_open', probe_started_at: null });
    expect(acquireCircuit(released, 6_200, s).decision).toEqual({ allowed: true, probe: true });
    expect(acquireCircuit(half, 6_000 + 19_999, s).decision.allowed).toBe(false);
    expect(acquireCircuit(half, 6_000 + 20_000, s).decision).toEqual({ allowed: true, probe: true });
  });

  it('recordChangesCircuit: an outcome it calls inert changes no state, whatever the stored record (the breaker skips reading it)', () => {
    const closedWithFailures = failTimes(null, [1_000, 2_000])!;
    const open = failTimes(null, [1_000, 2_000, 3_000])!;
    const probing = apply(open, acquireCircuit(open, 9_000, s))!;
    expect([closedWithFailures.state, open.state, probing.state]).toEqual(['closed', 'open', 'half_open']);
    const records: (CircuitRecord | null)[] = [null, closedCircuit(0), closedWithFailures, open, probing];
    let inert = 0;
    for (const rec of records) {
      for (const outcome of ['success', 'failure', 'neutral'] as const) {
        for (const probe of [false, true]) {
          if (recordChangesCircuit(outcome, probe)) continue;
          inert++;
          expect(recordCircuit(rec, outcome, probe, 9_500, s, 'x')).toEqual({ next: null, decision: undefined });
        }
      }
    }
    // success and neutral without a probe, for each of the five records
    expect(inert).toBe(10);
    // and a probe's success does change a half-open breaker: that one must be read
    expect(recordChangesCircuit('success', true)).toBe(true);
    expect(recordCircuit(probing, 'success', true, 9_500, s).next?.state).toBe('closed');
  });
});

import { planDueJob } from './fire-planner';

const at = (iso: string) => new Date(iso);
const job = (schedule: Record<string, unknown>, nextRunAt: string) => ({ schedule, next_run_at: at(nextRunAt) });
const cronEverySecond = { type: 'cron', expression: '* * * * * ?', timezone: 'UTC' };

describe('planDueJob', () => {
  it('fires an on-time cron fire and moves to the next one', () => {
    const p = planDueJob(job(cronEverySecond, '2026-05-01T00:00:10Z'), at('2026-05-01T00:00:09.500Z'), 5000);
    expect(p.fires).toEqual([at('2026-05-01T00:00:10Z')]);
    expect(p.next).toEqual(at('2026-05-01T00:00:11Z'));
    expect(p).toMatchObject({ skipped: [], completed: false, lastFireTime: at('2026-05-01T00:00:10Z') });
  });

  it('evaluates cron in the job time zone across a DST change (Europe/Berlin spring forward)', () => {
    // 02:30 local does not exist on 2026-03-29; the daily 02:30 job next fires on 03-30 at 00:30Z.
    const daily = { type: 'cron', expression: '0 30 2 * * ?', timezone: 'Europe/Berlin' };
    const p = planDueJob(job(daily, '2026-03-28T01:30:00Z'), at('2026-03-28T01:30:00Z'), 5000);
    expect(p.next).toEqual(at('2026-03-30T00:30:00Z'));
    // Fall back (2026-10-25): 02:30 happens twice, fires once (first occurrence, 00:30Z).
    const q = planDueJob(job(daily, '2026-10-24T00:30:00Z'), at('2026-10-24T00:30:00Z'), 5000);
    expect(q.next).toEqual(at('2026-10-25T00:30:00Z'));
    const r = planDueJob(job(daily, '2026-10-25T00:30:00Z'), at('2026-10-25T00:30:00Z'), 5000);
    expect(r.next).toEqual(at('2026-10-26T01:30:00Z'));
  });

  it('keeps fixed_rate on its grid', () => {
    const p = planDueJob(job({ type: 'fixed_rate', interval_seconds: 90 }, '2026-05-01T00:00:00Z'), at('2026-05-01T00:00:00.200Z'), 5000);
    expect(p.next).toEqual(at('2026-05-01T00:01:30Z'));
  });

  it('one_time fires once and completes; fixed_delay waits for the run to end', () => {
    const once = planDueJob(job({ type: 'one_time', execute_at: '2026-05-01T00:00:00Z' }, '2026-05-01T00:00:00Z'), at('2026-05-01T00:00:00Z'), 5000);
    expect(once).toMatchObject({ fires: [at('2026-05-01T00:00:00Z')], next: null, completed: true });
    // A late fixed_delay fire is not a misfire: the delay is a minimum gap.
    const delay = planDueJob(job({ type: 'fixed_delay', delay_seconds: 10 }, '2026-05-01T00:00:00Z'), at('2026-05-01T01:00:00Z'), 5000);
    expect(delay).toMatchObject({ fires: [at('2026-05-01T00:00:00Z')], next: null, completed: false });
  });

  it.each([
    ['fire_once', 1, 'misfire_coalesced'],
    ['skip', 0, 'misfire_skipped'],
    ['fire_all', 3, 'misfire_cap_exceeded'],
  ])('applies misfire_policy %s to fires missed beyond the threshold', (policy, runs, reason) => {
    const schedule = { ...cronEverySecond, misfire_policy: policy, misfire_max_fires: 3 };
    // Due at :00, now :10 → fires :00…:10 were missed (threshold 2 s: :08–:10 are still on time).
    const p = planDueJob(job(schedule, '2026-05-01T00:00:00Z'), at('2026-05-01T00:00:10Z'), 2000);
    if (policy === 'skip') {
      expect(p.fires.every((f) => f >= at('2026-05-01T00:00:08Z'))).toBe(true);
    } else {
      expect(p.fires).toHaveLength(runs);
    }
    expect(p.skipped.length).toBeGreaterThan(0);
    expect(p.skipped.every((s) => s.reason === reason)).toBe(true);
    // Every missed fire is either run or recorded, once.
    const handled = [...p.fires, ...p.skipped.map((s) => s.fire_time)].map((d) => d.getTime());
    expect(new Set(handled).size).toBe(11);
    expect(p.lastFireTime).toEqual(at('2026-05-01T00:00:10Z'));
    expect(p.next).toEqual(at('2026-05-01T00:00:11Z'));
  });

  it('fire_once runs the latest missed fire', () => {
    const p = planDueJob(job({ ...cronEverySecond, misfire_policy: 'fire_once' }, '2026-05-01T00:00:00Z'), at('2026-05-01T00:01:00Z'), 5000);
    expect(p.fires).toEqual([at('2026-05-01T00:01:00Z')]);
  });

  it('summarises a years-long gap instead of listing every fire', () => {
    const p = planDueJob(job({ ...cronEverySecond, misfire_policy: 'skip' }, '2025-01-01T00:00:00Z'), at('2026-05-01T00:00:00Z'), 5000);
    expect(p.skipped.length).toBeLessThanOrEqual(10_001);
    expect(p.skipped.at(-1)!.reason).toContain('misfire_skipped');
    expect(p.next).toEqual(at('2026-05-01T00:00:01Z'));
  });
});

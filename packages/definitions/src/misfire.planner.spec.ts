import { MAX_LISTED_MISSED_FIRES, planMisfires } from './misfire.planner';
import type { CronSchedule, FixedDelaySchedule, FixedRateSchedule, MisfirePolicy, OneTimeSchedule } from './schedule.model';

const d = (s: string): Date => new Date(s);
const isos = (xs: Date[]): string[] => xs.map((x) => x.toISOString());
const base = { timezone: 'UTC', misfire_policy: 'fire_once' as MisfirePolicy, misfire_max_fires: 100 };
const everyMinute: CronSchedule = { type: 'cron', expression: '0 * * * * ?', ...base };
const t = (hhmmss: string): string => `2026-01-01T${hhmmss}.000Z`;

describe('planMisfires', () => {
  it('runs an on-time fire (late by less than the threshold)', () => {
    const plan = planMisfires(everyMinute, { lastFireTime: d(t('10:00:00')), now: d(t('10:01:05')) });
    expect(isos(plan.fire)).toEqual([t('10:01:00')]);
    expect(plan.skipped).toEqual([]);
    expect(plan.next?.toISOString()).toBe(t('10:02:00'));
  });

  it('plans nothing when nothing is due', () => {
    const plan = planMisfires(everyMinute, { lastFireTime: d(t('10:00:00')), now: d(t('10:00:30')) });
    expect(plan.fire).toEqual([]);
    expect(plan.skipped).toEqual([]);
    expect(plan.next?.toISOString()).toBe(t('10:01:00'));
  });

  it('fire_once: one run with the latest missed fire time, the rest coalesced', () => {
    const plan = planMisfires(everyMinute, { lastFireTime: d(t('10:00:00')), now: d(t('10:05:30')), policy: 'fire_once' });
    expect(isos(plan.fire)).toEqual([t('10:05:00')]);
    expect(plan.skipped.map((s) => [s.fire_time.toISOString(), s.reason])).toEqual([
      [t('10:01:00'), 'misfire_coalesced'],
      [t('10:02:00'), 'misfire_coalesced'],
      [t('10:03:00'), 'misfire_coalesced'],
      [t('10:04:00'), 'misfire_coalesced'],
    ]);
    expect(plan.next?.toISOString()).toBe(t('10:06:00'));
    expect(plan.skipped_summary).toBeNull();
  });

  it('fire_once: identity is the latest missed fire even when all are late', () => {
    const plan = planMisfires(everyMinute, { lastFireTime: d(t('10:00:00')), now: d(t('12:00:30')), policy: 'fire_once', misfireThresholdMs: 0 });
    expect(isos(plan.fire)).toEqual([t('12:00:00')]);
    expect(plan.skipped).toHaveLength(119);
  });

  it('skip: no missed fire runs, all recorded as skipped', () => {
    const plan = planMisfires(everyMinute, { lastFireTime: d(t('10:00:00')), now: d(t('10:05:30')), policy: 'skip', misfireThresholdMs: 0 });
    expect(plan.fire).toEqual([]);
    expect(plan.skipped.map((s) => s.reason)).toEqual(Array(5).fill('misfire_skipped'));
    expect(isos(plan.skipped.map((s) => s.fire_time))).toEqual([t('10:01:00'), t('10:02:00'), t('10:03:00'), t('10:04:00'), t('10:05:00')]);
    expect(plan.next?.toISOString()).toBe(t('10:06:00'));
  });

  it('skip: a fire within the threshold is not a misfire and still runs', () => {
    const plan = planMisfires(everyMinute, { lastFireTime: d(t('10:00:00')), now: d(t('10:05:30')), policy: 'skip' });
    expect(isos(plan.fire)).toEqual([t('10:05:00')]);
    expect(plan.skipped).toHaveLength(4);
  });

  it('fire_all: every missed fire runs, oldest first', () => {
    const plan = planMisfires(everyMinute, { lastFireTime: d(t('10:00:00')), now: d(t('10:05:30')), policy: 'fire_all' });
    expect(isos(plan.fire)).toEqual([t('10:01:00'), t('10:02:00'), t('10:03:00'), t('10:04:00'), t('10:05:00')]);
    expect(plan.skipped).toEqual([]);
  });

  it('fire_all: the newest maxFires run, older ones exceed the cap', () => {
    const plan = planMisfires(everyMinute, { lastFireTime: d(t('10:00:00')), now: d(t('10:05:30')), policy: 'fire_all', maxFires: 3 });
    expect(isos(plan.fire)).toEqual([t('10:03:00'), t('10:04:00'), t('10:05:00')]);
    expect(plan.skipped.map((s) => [s.fire_time.toISOString(), s.reason])).toEqual([
      [t('10:01:00'), 'misfire_cap_exceeded'],
      [t('10:02:00'), 'misfire_cap_exceeded'],
    ]);
  });

  it("takes the policy and the cap from the schedule", () => {
    const s: CronSchedule = { ...everyMinute, misfire_policy: 'fire_all', misfire_max_fires: 2 };
    const plan = planMisfires(s, { lastFireTime: d(t('10:00:00')), now: d(t('10:05:30')) });
    expect(isos(plan.fire)).toEqual([t('10:04:00'), t('10:05:00')]);
    expect(plan.skipped).toHaveLength(3);
  });

  it('stops at end_date', () => {
    const s: CronSchedule = { ...everyMinute, end_date: t('10:03:00') };
    const plan = planMisfires(s, { lastFireTime: d(t('10:00:00')), now: d(t('10:05:30')), policy: 'fire_all' });
    expect(isos(plan.fire)).toEqual([t('10:01:00'), t('10:02:00'), t('10:03:00')]);
    expect(plan.next).toBeNull();
  });

  it('does not fire a repeated DST hour twice', () => {
    const s: CronSchedule = { type: 'cron', expression: '0 30 2 * * ?', ...base, timezone: 'Europe/Berlin' };
    const plan = planMisfires(s, { lastFireTime: d('2026-10-24T00:30:00Z'), now: d('2026-10-27T12:00:00Z'), policy: 'fire_all' });
    expect(isos(plan.fire)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z']);
  });

  it('plans nothing and looks past lastFireTime when it is ahead of now', () => {
    const plan = planMisfires(everyMinute, { lastFireTime: d(t('10:05:00')), now: d(t('10:03:00')) });
    expect(plan.fire).toEqual([]);
    expect(plan.next?.toISOString()).toBe(t('10:06:00'));
  });

  describe('bounded work for a job missed for years', () => {
    it('fire_once over two years of per-second fires lists 10,000 and summarises the rest', () => {
      const s: CronSchedule = { type: 'cron', expression: '* * * * * ?', ...base };
      const started = Date.now();
      const plan = planMisfires(s, { lastFireTime: d('2024-01-01T00:00:00Z'), now: d('2026-01-01T00:00:00.500Z') });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(isos(plan.fire)).toEqual(['2026-01-01T00:00:00.000Z']);
      expect(plan.skipped).toHaveLength(MAX_LISTED_MISSED_FIRES);
      expect(plan.skipped[0]?.fire_time.toISOString()).toBe('2024-01-01T00:00:01.000Z');
      expect(plan.skipped_summary).toEqual({
        reason: 'misfire_coalesced',
        count: null,
        from: d('2024-01-01T02:46:41Z'), // fire 10,001
        to: d('2025-12-31T23:59:59Z'),
      });
      expect(plan.next?.toISOString()).toBe('2026-01-01T00:00:01.000Z');
    });

    it('fixed_rate counts the summarised fires exactly', () => {
      const s: FixedRateSchedule = { type: 'fixed_rate', interval_seconds: 1, ...base };
      const last = d('2025-01-01T00:00:00Z');
      const now = d('2026-01-01T00:00:00Z');
      const plan = planMisfires(s, { lastFireTime: last, now, policy: 'fire_all', maxFires: 5 });
      const total = (now.getTime() - last.getTime()) / 1000;
      expect(plan.fire).toHaveLength(5);
      expect(plan.fire[4]?.toISOString()).toBe(now.toISOString());
      expect(plan.skipped).toHaveLength(MAX_LISTED_MISSED_FIRES);
      expect(plan.skipped.length + (plan.skipped_summary?.count ?? 0) + plan.fire.length).toBe(total);
      expect(plan.skipped_summary?.reason).toBe('misfire_cap_exceeded');
    });

    it('skip keeps on-time fires when the backlog is huge', () => {
      const s: FixedRateSchedule = { type: 'fixed_rate', interval_seconds: 10, ...base };
      const plan = planMisfires(s, { lastFireTime: d('2025-01-01T00:00:00Z'), now: d('2026-01-01T00:00:05Z'), policy: 'skip', misfireThresholdMs: 30_000 });
      expect(isos(plan.fire)).toEqual(['2025-12-31T23:59:40.000Z', '2025-12-31T23:59:50.000Z', '2026-01-01T00:00:00.000Z']);
      expect(plan.skipped).toHaveLength(MAX_LISTED_MISSED_FIRES);
      expect(plan.skipped_summary?.to.toISOString()).toBe('2025-12-31T23:59:30.000Z');
    });
  });

  describe('fixed_rate', () => {
    it('uses createdAt as the grid anchor', () => {
      const s: FixedRateSchedule = { type: 'fixed_rate', interval_seconds: 300, ...base };
      const plan = planMisfires(s, {
        lastFireTime: d(t('10:00:00')),
        createdAt: d(t('09:58:00')),
        now: d(t('10:14:00')),
        policy: 'fire_all',
      });
      expect(isos(plan.fire)).toEqual([t('10:03:00'), t('10:08:00'), t('10:13:00')]);
      expect(plan.next?.toISOString()).toBe(t('10:18:00'));
    });
  });

  describe('one_time', () => {
    const s: OneTimeSchedule = { type: 'one_time', execute_at: t('10:00:00'), ...base };
    it('runs a missed one-time fire under fire_once', () => {
      const plan = planMisfires(s, { lastFireTime: d(t('09:00:00')), now: d(t('10:10:00')) });
      expect(isos(plan.fire)).toEqual([t('10:00:00')]);
      expect(plan.next).toBeNull();
    });
    it('skips it under skip', () => {
      const plan = planMisfires(s, { lastFireTime: d(t('09:00:00')), now: d(t('10:10:00')), policy: 'skip' });
      expect(plan.fire).toEqual([]);
      expect(plan.skipped).toEqual([{ fire_time: d(t('10:00:00')), reason: 'misfire_skipped' }]);
    });
    it('reports the pending fire as next', () => {
      const plan = planMisfires(s, { lastFireTime: d(t('09:00:00')), now: d(t('09:30:00')) });
      expect(plan.fire).toEqual([]);
      expect(plan.next?.toISOString()).toBe(t('10:00:00'));
    });
  });

  describe('fixed_delay', () => {
    const s: FixedDelaySchedule = { type: 'fixed_delay', delay_seconds: 60, ...base, misfire_policy: 'skip' };
    it('runs an overdue fire (not a misfire) and waits for its completion', () => {
      const plan = planMisfires(s, {
        lastFireTime: d(t('10:00:00')),
        lastStartedAt: d(t('10:00:00')),
        lastFinishedAt: d(t('10:00:30')),
        now: d(t('12:00:00')),
      });
      expect(isos(plan.fire)).toEqual([t('10:01:30')]);
      expect(plan.skipped).toEqual([]);
      expect(plan.next).toBeNull();
      expect(plan.waits_for_completion).toBe(true);
    });
    it('plans nothing while a run is in progress', () => {
      const plan = planMisfires(s, { lastFireTime: d(t('10:00:00')), lastStartedAt: d(t('10:00:00')), now: d(t('12:00:00')) });
      expect(plan.fire).toEqual([]);
      expect(plan.waits_for_completion).toBe(true);
    });
    it('reports the next fire when not yet due', () => {
      const plan = planMisfires(s, {
        lastFireTime: d(t('10:00:00')),
        lastStartedAt: d(t('10:00:00')),
        lastFinishedAt: d(t('10:00:30')),
        now: d(t('10:01:00')),
      });
      expect(plan.fire).toEqual([]);
      expect(plan.next?.toISOString()).toBe(t('10:01:30'));
    });
    it('fires the first run at the anchor', () => {
      const plan = planMisfires(s, { lastFireTime: d(t('10:00:00')), now: d(t('10:00:01')) });
      expect(isos(plan.fire)).toEqual([t('10:00:00')]);
    });
  });

  it('plans nothing for a null schedule', () => {
    expect(planMisfires(null, { lastFireTime: d(t('10:00:00')), now: d(t('12:00:00')) })).toEqual({
      fire: [],
      skipped: [],
      skipped_summary: null,
      next: null,
      waits_for_completion: false,
    });
  });
});

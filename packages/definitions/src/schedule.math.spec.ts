import { describeSchedule, nextFireTime, upcomingFires } from './schedule.math';
import type { CronSchedule, FixedDelaySchedule, FixedRateSchedule, OneTimeSchedule } from './schedule.model';

const d = (s: string): Date => new Date(s);
const iso = (x: Date | null): string | null => (x === null ? null : x.toISOString());
const common = { timezone: 'Asia/Ho_Chi_Minh', misfire_policy: 'fire_once' as const, misfire_max_fires: 100 };

const cron = (expression: string, extra: Partial<CronSchedule> = {}): CronSchedule => ({
  type: 'cron',
  expression,
  ...common,
  ...extra,
});
const rate = (interval_seconds: number, extra: Partial<FixedRateSchedule> = {}): FixedRateSchedule => ({
  type: 'fixed_rate',
  interval_seconds,
  ...common,
  ...extra,
});
const delay = (delay_seconds: number, extra: Partial<FixedDelaySchedule> = {}): FixedDelaySchedule => ({
  type: 'fixed_delay',
  delay_seconds,
  ...common,
  ...extra,
});
const once = (execute_at: string): OneTimeSchedule => ({ type: 'one_time', execute_at, ...common });

describe('nextFireTime', () => {
  it('null schedule never fires', () => {
    expect(nextFireTime(null, { after: d('2026-01-01T00:00:00Z') })).toBeNull();
  });

  describe('cron', () => {
    it('evaluates in the schedule time zone', () => {
      expect(iso(nextFireTime(cron('0 0 1 * * ?'), { after: d('2026-01-01T00:00:00Z') }))).toBe('2026-01-01T18:00:00.000Z');
      expect(iso(nextFireTime(cron('0 0 1 * * ?', { timezone: 'UTC' }), { after: d('2026-01-01T00:00:00Z') }))).toBe(
        '2026-01-01T01:00:00.000Z',
      );
    });

    it('accepts five-field expressions', () => {
      expect(iso(nextFireTime(cron('*/10 * * * *', { timezone: 'UTC' }), { after: d('2026-01-01T00:01:00Z') }))).toBe(
        '2026-01-01T00:10:00.000Z',
      );
    });

    it('stops at end_date (inclusive), a date alone meaning the end of that local day', () => {
      const s = cron('0 0 1 * * ?', { end_date: '2026-01-03' }); // ends 2026-01-03T23:59:59.999+07:00
      expect(upcomingFires(s, d('2026-01-01T00:00:00Z'), 5).map((x) => x.toISOString())).toEqual([
        '2026-01-01T18:00:00.000Z',
        '2026-01-02T18:00:00.000Z',
      ]);
      const local = cron('0 0 1 * * ?', { end_date: '2026-01-02T01:00:00' }); // local time, inclusive
      expect(upcomingFires(local, d('2026-01-01T00:00:00Z'), 5).map((x) => x.toISOString())).toEqual([
        '2026-01-01T18:00:00.000Z',
      ]);
      const withOffset = cron('0 0 1 * * ?', { end_date: '2026-01-01T17:59:59Z' });
      expect(nextFireTime(withOffset, { after: d('2026-01-01T00:00:00Z') })).toBeNull();
    });
  });

  describe('fixed_rate', () => {
    const createdAt = d('2026-01-01T00:00:00Z');
    it.each([
      ['2026-01-01T00:00:00Z', '2026-01-01T00:05:00.000Z'],
      ['2026-01-01T00:07:00Z', '2026-01-01T00:10:00.000Z'],
      ['2026-01-01T00:10:00Z', '2026-01-01T00:15:00.000Z'],
      ['2025-12-31T23:00:00Z', '2026-01-01T00:00:00.000Z'],
      ['2026-03-01T12:34:56Z', '2026-03-01T12:35:00.000Z'],
    ])('every 300 s from the anchor, after %s → %s', (after, expected) => {
      expect(iso(nextFireTime(rate(300), { after: d(after), createdAt }))).toBe(expected);
    });

    it('keeps the grid when a run starts late', () => {
      expect(
        iso(nextFireTime(rate(300), { after: d('2026-01-01T00:05:00Z'), lastStartedAt: d('2026-01-01T00:06:40Z'), createdAt })),
      ).toBe('2026-01-01T00:10:00.000Z');
    });

    it('without createdAt, the grid starts at `after`', () => {
      expect(
        iso(nextFireTime(rate(300), { after: d('2026-01-01T00:04:00Z'), lastStartedAt: d('2026-01-01T00:03:00.350Z') })),
      ).toBe('2026-01-01T00:09:00.000Z');
    });

    it('stops at end_date', () => {
      const s = rate(300, { end_date: '2026-01-01T00:12:00Z' });
      expect(iso(nextFireTime(s, { after: d('2026-01-01T00:07:00Z'), createdAt }))).toBe('2026-01-01T00:10:00.000Z');
      expect(nextFireTime(s, { after: d('2026-01-01T00:10:00Z'), createdAt })).toBeNull();
    });
  });

  describe('fixed_delay', () => {
    it('is the previous end plus the delay', () => {
      expect(
        iso(
          nextFireTime(delay(60), {
            after: d('2026-01-01T10:00:00Z'),
            lastStartedAt: d('2026-01-01T10:00:00Z'),
            lastFinishedAt: d('2026-01-01T10:00:30Z'),
          }),
        ),
      ).toBe('2026-01-01T10:01:30.000Z');
    });

    it('is due at the anchor when it never ran', () => {
      expect(iso(nextFireTime(delay(60), { after: d('2026-01-01T10:00:00Z'), createdAt: d('2026-01-01T09:00:00Z') }))).toBe(
        '2026-01-01T09:00:00.000Z',
      );
      expect(iso(nextFireTime(delay(60), { after: d('2026-01-01T10:00:00Z') }))).toBe('2026-01-01T10:00:00.000Z');
    });

    it('has no next fire while a run is in progress', () => {
      expect(
        nextFireTime(delay(60), {
          after: d('2026-01-01T10:00:00Z'),
          lastStartedAt: d('2026-01-01T10:00:00Z'),
          lastFinishedAt: d('2026-01-01T09:59:00Z'),
        }),
      ).toBeNull();
      expect(nextFireTime(delay(60), { after: d('2026-01-01T10:00:00Z'), lastStartedAt: d('2026-01-01T10:00:00Z') })).toBeNull();
    });

    it('stops at end_date', () => {
      expect(
        nextFireTime(delay(60, { end_date: '2026-01-01T10:01:00Z' }), {
          after: d('2026-01-01T10:00:00Z'),
          lastFinishedAt: d('2026-01-01T10:00:30Z'),
        }),
      ).toBeNull();
    });
  });

  describe('one_time', () => {
    const s = once('2026-02-01T09:00:00+07:00');
    it('fires at execute_at once', () => {
      expect(iso(nextFireTime(s, { after: d('2026-01-01T00:00:00Z') }))).toBe('2026-02-01T02:00:00.000Z');
      expect(nextFireTime(s, { after: d('2026-02-01T02:00:00Z') })).toBeNull();
    });

    it('is done once a run started at or after execute_at', () => {
      expect(nextFireTime(s, { after: d('2026-01-01T00:00:00Z'), lastStartedAt: d('2026-02-01T02:00:01Z') })).toBeNull();
      expect(iso(nextFireTime(s, { after: d('2026-01-01T00:00:00Z'), lastStartedAt: d('2026-01-15T00:00:00Z') }))).toBe(
        '2026-02-01T02:00:00.000Z',
      );
    });
  });

  it('rejects invalid dates', () => {
    expect(() => nextFireTime(rate(60), { after: d('garbage') })).toThrow('after must be a valid Date');
  });
});

describe('upcomingFires', () => {
  it('lists the next n fires', () => {
    expect(upcomingFires(rate(60), d('2026-01-01T00:00:30Z'), 3, { createdAt: d('2026-01-01T00:00:00Z') }).map((x) => x.toISOString())).toEqual([
      '2026-01-01T00:01:00.000Z',
      '2026-01-01T00:02:00.000Z',
      '2026-01-01T00:03:00.000Z',
    ]);
    expect(upcomingFires(cron('0 0 12 ? * MON', { timezone: 'UTC' }), d('2026-05-01T00:00:00Z'), 2).map((x) => x.toISOString())).toEqual([
      '2026-05-04T12:00:00.000Z',
      '2026-05-11T12:00:00.000Z',
    ]);
  });

  it('projects fixed_delay assuming instant runs', () => {
    expect(upcomingFires(delay(60), d('2026-01-01T00:00:00Z'), 3, { createdAt: d('2026-01-01T00:00:00Z') }).map((x) => x.toISOString())).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T00:01:00.000Z',
      '2026-01-01T00:02:00.000Z',
    ]);
  });

  it('gives one_time once and null schedules nothing', () => {
    expect(upcomingFires(once('2026-02-01T02:00:00Z'), d('2026-01-01T00:00:00Z'), 5)).toHaveLength(1);
    expect(upcomingFires(null, d('2026-01-01T00:00:00Z'), 5)).toEqual([]);
  });
});

describe('describeSchedule', () => {
  it.each([
    [null, 'manual or webhook only'],
    [cron('0 0 1 * * ?'), 'cron "0 0 1 * * ?" (Asia/Ho_Chi_Minh)'],
    [rate(300), 'every 5 minutes'],
    [rate(90), 'every 90 seconds'],
    [rate(7200, { end_date: '2026-12-31' }), 'every 2 hours, until 2026-12-31'],
    [delay(86400), '1 day after the previous run finishes'],
    [once('2026-02-01T09:00:00+07:00'), 'once at 2026-02-01T09:00:00+07:00'],
  ])('%j → %s', (schedule, text) => {
    expect(describeSchedule(schedule)).toBe(text);
  });
});

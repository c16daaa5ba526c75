import { nextCronFire, prevCronFire, toCronExpression } from './cron-fire';
import { ScheduleError } from './schedule.errors';
import { parseScheduleDate, type Schedule } from './schedule.model';
import { DEFAULT_TIMEZONE } from './time-zone';

/**
 * Fire times of the four schedule types (all instants are Date / UTC).
 *
 * - `cron`: the expression in the schedule's time zone (see nextCronFire for DST).
 * - `fixed_rate`: start to start, on a fixed grid anchor + k × interval (k ≥ 0). The anchor is
 *   `createdAt` (the job's creation or last re-enable; pass it to keep the grid), else `after`.
 *   Late or long runs do not move the grid (`lastStartedAt` is not used).
 * - `fixed_delay`: end to start. Next = `lastFinishedAt` + delay; never run → the anchor
 *   (`createdAt`, else `after`): the first run is due at once. While a run is in progress
 *   (`lastStartedAt` later than `lastFinishedAt`, or started and never finished) there is no next
 *   fire (null): call again when it finishes. Not bound by `after`: the returned time may be
 *   ≤ after, meaning "due now".
 * - `one_time`: `execute_at`, if it is after `after` and has not fired yet (`lastStartedAt` before
 *   it or absent); else null. An `execute_at` that is already in the past when the job is created
 *   never fires (the api should reject it).
 * - `end_date` (recurring types): no fire after it (inclusive bound); a date alone means the end
 *   of that day in the schedule's time zone; a local date-time is read in the schedule's zone.
 *
 * `after` is "fires up to here are handled": pass the last handled fire time (or the anchor) to
 * learn about overdue fires, or now to ask for the next future one. planMisfires uses the same
 * rules to list the fires missed between the last handled fire and now.
 */

export interface FireTimeOptions {
  /** Return the first fire strictly after this instant (see the module comment for fixed_delay). */
  after: Date;
  /** Start of the latest scheduled run, if any. */
  lastStartedAt?: Date | null;
  /** End of the latest scheduled run, if any. */
  lastFinishedAt?: Date | null;
  /** Anchor: when the job was created (or re-enabled). */
  createdAt?: Date | null;
}

function ms(date: Date | null | undefined, name: string): number | undefined {
  if (date === undefined || date === null) return undefined;
  const value = date instanceof Date ? date.getTime() : Number.NaN;
  if (!Number.isFinite(value)) throw new ScheduleError(`${name} must be a valid Date`);
  return value;
}

function zoneOf(schedule: Schedule): string {
  return schedule.timezone ?? DEFAULT_TIMEZONE;
}

/** The inclusive end of a recurring schedule in UTC ms (Infinity without end_date). */
export function scheduleEnd(schedule: Schedule): number {
  if (schedule.type === 'one_time') return Number.POSITIVE_INFINITY;
  const end = schedule.end_date;
  if (end === undefined || end === null) return Number.POSITIVE_INFINITY;
  const parsed = parseScheduleDate(end, zoneOf(schedule), true);
  if (parsed === null) throw new ScheduleError(`invalid end_date "${end}"`);
  return parsed;
}

function executeAtOf(schedule: { execute_at: string; timezone?: string }): number {
  const parsed = parseScheduleDate(schedule.execute_at, schedule.timezone ?? DEFAULT_TIMEZONE);
  if (parsed === null) throw new ScheduleError(`invalid execute_at "${schedule.execute_at}"`);
  return parsed;
}

function positiveSeconds(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new ScheduleError(`${name} must be a positive number`);
  return value * 1000;
}

/**
 * A schedule's fires as an ordered series (cron, fixed_rate, one_time; fixed_delay has no series
 * because each fire depends on when the previous run ended).
 */
export interface FireSeries {
  /** First fire strictly after `t` (UTC ms), or null. */
  after(t: number): number | null;
  /** Last fire strictly before `t`, or null. */
  before(t: number): number | null;
  /** Number of fires in [from, to] when cheap to compute (fixed grids), else null. */
  count(from: number, to: number): number | null;
}

/** The series of a schedule, with end_date applied; undefined for fixed_delay. */
export function fireSeries(schedule: Schedule, anchorMs: number): FireSeries | undefined {
  const end = scheduleEnd(schedule);
  const cap = (t: number | null): number | null => (t === null || t > end ? null : t);
  switch (schedule.type) {
    case 'cron': {
      const cron = toCronExpression(schedule.expression);
      const zone = zoneOf(schedule);
      return {
        after: (t) => cap(nextCronFire(cron, new Date(t), zone)?.getTime() ?? null),
        before: (t) => prevCronFire(cron, new Date(Math.min(t, end + 1)), zone)?.getTime() ?? null,
        count: () => null,
      };
    }
    case 'fixed_rate': {
      const step = positiveSeconds(schedule.interval_seconds, 'interval_seconds');
      return {
        after: (t) => cap(t < anchorMs ? anchorMs : anchorMs + (Math.floor((t - anchorMs) / step) + 1) * step),
        before: (t) => {
          const bound = Math.min(t, end + 1);
          if (bound <= anchorMs) return null;
          return anchorMs + (Math.ceil((bound - anchorMs) / step) - 1) * step;
        },
        count: (from, to) => (to < from ? 0 : Math.floor((to - from) / step) + 1),
      };
    }
    case 'one_time': {
      const at = executeAtOf(schedule);
      return {
        after: (t) => (at > t ? at : null),
        before: (t) => (at < t ? at : null),
        count: (from, to) => (at >= from && at <= to ? 1 : 0),
      };
    }
    case 'fixed_delay':
      return undefined;
    default:
      throw new ScheduleError(`unknown schedule type "${(schedule as { type: unknown }).type}"`);
  }
}

/** fixed_delay: the pending fire, or null (run in progress, or past end_date). */
export function fixedDelayDue(
  schedule: Schedule & { type: 'fixed_delay' },
  anchorMs: number,
  lastStartedMs: number | undefined,
  lastFinishedMs: number | undefined,
): number | null {
  const delay = positiveSeconds(schedule.delay_seconds, 'delay_seconds');
  if (lastStartedMs !== undefined && (lastFinishedMs === undefined || lastFinishedMs < lastStartedMs)) return null;
  const due = lastFinishedMs !== undefined ? lastFinishedMs + delay : anchorMs;
  return due > scheduleEnd(schedule) ? null : due;
}

/** The next fire of a schedule (see the module comment); null when there is none. */
export function nextFireTime(schedule: Schedule | null, options: FireTimeOptions): Date | null {
  if (schedule === null) return null;
  const after = ms(options.after, 'after');
  if (after === undefined) throw new ScheduleError('after is required');
  const started = ms(options.lastStartedAt, 'lastStartedAt');
  const finished = ms(options.lastFinishedAt, 'lastFinishedAt');
  const created = ms(options.createdAt, 'createdAt');
  switch (schedule.type) {
    case 'fixed_delay': {
      const due = fixedDelayDue(schedule, created ?? after, started, finished);
      return due === null ? null : new Date(due);
    }
    case 'one_time': {
      const at = executeAtOf(schedule);
      if (started !== undefined && started >= at) return null;
      return at > after ? new Date(at) : null;
    }
    default: {
      const series = fireSeries(schedule, created ?? after) as FireSeries;
      const next = series.after(after);
      return next === null ? null : new Date(next);
    }
  }
}

/** Most fires upcomingFires returns. */
export const MAX_UPCOMING_FIRES = 1000;

/**
 * The next `count` fires after `after` (at most MAX_UPCOMING_FIRES), for display. For fixed_delay
 * it is a projection that assumes every run finishes instantly (the real times depend on how
 * long runs take).
 */
export function upcomingFires(
  schedule: Schedule | null,
  after: Date,
  count: number,
  options: Omit<FireTimeOptions, 'after'> = {},
): Date[] {
  if (schedule === null) return [];
  const n = Math.max(0, Math.min(Math.floor(count), MAX_UPCOMING_FIRES));
  const out: Date[] = [];
  if (schedule.type === 'fixed_delay') {
    let next = nextFireTime(schedule, { ...options, after });
    const delay = positiveSeconds(schedule.delay_seconds, 'delay_seconds');
    const end = scheduleEnd(schedule);
    while (next !== null && out.length < n) {
      out.push(next);
      const t = next.getTime() + delay;
      next = t > end ? null : new Date(t);
    }
    return out;
  }
  let next = nextFireTime(schedule, { ...options, after });
  while (next !== null && out.length < n) {
    out.push(next);
    next = nextFireTime(schedule, { ...options, after: next, lastStartedAt: null });
  }
  return out;
}

function duration(seconds: number): string {
  const units: [number, string][] = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return n === 1 ? `1 ${name}` : `${n} ${name}s`;
    }
  }
  return seconds === 1 ? '1 second' : `${seconds} seconds`;
}

/** A one-line English description, e.g. `cron "0 0 1 * * ?" (Asia/Ho_Chi_Minh)`, `every 5 minutes`. */
export function describeSchedule(schedule: Schedule | null): string {
  if (schedule === null) return 'manual or webhook only';
  const until = schedule.type !== 'one_time' && schedule.end_date ? `, until ${schedule.end_date}` : '';
  switch (schedule.type) {
    case 'cron':
      return `cron "${schedule.expression}" (${zoneOf(schedule)})${until}`;
    case 'fixed_rate':
      return `every ${duration(schedule.interval_seconds)}${until}`;
    case 'fixed_delay':
      return `${duration(schedule.delay_seconds)} after the previous run finishes${until}`;
    case 'one_time':
      return `once at ${schedule.execute_at}`;
    default:
      return 'unknown schedule';
  }
}

import { DateTime } from 'luxon';
import { parseCron } from './cron-expression';
import { cronEverFires } from './cron-fire';
import { type Check, Discriminator, int, oneOf, Opt, Req, str, timeZone } from './field.decorators';
import { CronSyntaxError } from './schedule.errors';
import { DEFAULT_TIMEZONE, isValidTimeZone } from './time-zone';

export const SCHEDULE_TYPES = ['cron', 'fixed_rate', 'fixed_delay', 'one_time'] as const;
export type ScheduleType = (typeof SCHEDULE_TYPES)[number];

/**
 * What to do with fires that were missed (scheduler down, job disabled, backlog):
 * - `fire_once` (default): one run now stands for all of them (it carries the latest missed fire
 *   time); the others are recorded as skipped (`misfire_coalesced`);
 * - `skip`: none of the missed fires runs; all are recorded as skipped (`misfire_skipped`);
 * - `fire_all`: every missed fire runs, up to `misfire_max_fires`; the oldest ones beyond that are
 *   recorded as skipped (`misfire_cap_exceeded`).
 */
export const MISFIRE_POLICIES = ['fire_once', 'skip', 'fire_all'] as const;
export type MisfirePolicy = (typeof MISFIRE_POLICIES)[number];

export const DEFAULT_MISFIRE_POLICY: MisfirePolicy = 'fire_once';
export const DEFAULT_MISFIRE_MAX_FIRES = 100;
export const MAX_MISFIRE_MAX_FIRES = 1000;
/** Longest interval or delay accepted: one year. */
export const MAX_INTERVAL_SECONDS = 31_536_000;

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;
const ISO_DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const HAS_OFFSET = /(Z|[+-]\d{2}(:?\d{2})?)$/;

function zoneFor(object: Record<string, unknown>): string {
  const tz = object['timezone'];
  return isValidTimeZone(tz) ? tz : DEFAULT_TIMEZONE;
}

/**
 * The instant an ISO text stands for. With an offset or `Z` it is absolute; without, it is a
 * local time in `timezone`; a date alone (`2026-12-31`) with `endOfDay` means the last
 * millisecond of that local day, otherwise its first. Returns null when unparsable.
 */
export function parseScheduleDate(text: string, timezone: string, endOfDay = false): number | null {
  if (ISO_DATE_ONLY.test(text)) {
    const day = DateTime.fromISO(text, { zone: timezone });
    if (!day.isValid) return null;
    return endOfDay ? day.plus({ days: 1 }).startOf('day').toMillis() - 1 : day.startOf('day').toMillis();
  }
  if (!ISO_DATE_TIME.test(text)) return null;
  const parsed = DateTime.fromISO(text, { zone: timezone, setZone: true });
  return parsed.isValid ? parsed.toMillis() : null;
}

const cronExpression: Check = (value) => {
  const base = str()(value, {});
  if (base !== null) return base;
  try {
    const cron = parseCron(value as string);
    return cronEverFires(cron) ? null : 'never fires: no date matches the expression';
  } catch (err) {
    if (err instanceof CronSyntaxError) return err.message;
    throw err;
  }
};

const endDate: Check = (value, object) => {
  if (typeof value !== 'string') return 'must be a string';
  return parseScheduleDate(value, zoneFor(object), true) === null
    ? 'must be an ISO-8601 date or date-time (e.g. 2026-12-31 or 2026-12-31T23:59:59+07:00)'
    : null;
};

const executeAt: Check = (value, object) => {
  if (typeof value !== 'string') return 'must be a string';
  if (!ISO_DATE_TIME.test(value) || !HAS_OFFSET.test(value) || parseScheduleDate(value, zoneFor(object)) === null) {
    return 'must be an ISO-8601 date-time with an offset or Z (e.g. 2026-01-31T09:00:00+07:00)';
  }
  return null;
};

/** Fields every schedule type has. */
abstract class ScheduleBase {
  /** IANA zone the schedule is evaluated in (cron fields, local `end_date`). */
  @Opt(timeZone)
  timezone: string = DEFAULT_TIMEZONE;

  @Opt(oneOf(MISFIRE_POLICIES))
  misfire_policy: MisfirePolicy = DEFAULT_MISFIRE_POLICY;

  /** Most missed fires run at once under `fire_all`. */
  @Opt(int(1, MAX_MISFIRE_MAX_FIRES))
  misfire_max_fires: number = DEFAULT_MISFIRE_MAX_FIRES;
}

/** Fields of the recurring types. */
abstract class RecurringScheduleBase extends ScheduleBase {
  /**
   * No fire after this instant (inclusive). ISO date-time with offset, a local date-time in
   * `timezone`, or a date alone meaning the end of that local day. Null or absent: no end.
   */
  @Opt(endDate)
  end_date?: string | null;
}

export class CronSchedule extends RecurringScheduleBase {
  @Discriminator(SCHEDULE_TYPES, 'parent')
  type!: 'cron';

  /** Quartz (6-7 fields, with seconds) or Unix (5 fields); see parseCron. */
  @Req(cronExpression)
  expression!: string;
}

/** Start to start: fires at anchor + k × interval_seconds (the anchor is the job's creation). */
export class FixedRateSchedule extends RecurringScheduleBase {
  @Discriminator(SCHEDULE_TYPES, 'parent')
  type!: 'fixed_rate';

  @Req(int(1, MAX_INTERVAL_SECONDS))
  interval_seconds!: number;
}

/** End to start: the next run starts delay_seconds after the previous one finished. */
export class FixedDelaySchedule extends RecurringScheduleBase {
  @Discriminator(SCHEDULE_TYPES, 'parent')
  type!: 'fixed_delay';

  @Req(int(1, MAX_INTERVAL_SECONDS))
  delay_seconds!: number;
}

export class OneTimeSchedule extends ScheduleBase {
  @Discriminator(SCHEDULE_TYPES, 'parent')
  type!: 'one_time';

  /** ISO-8601 date-time with an offset or `Z`. */
  @Req(executeAt)
  execute_at!: string;
}

export type Schedule = CronSchedule | FixedRateSchedule | FixedDelaySchedule | OneTimeSchedule;
export type RecurringSchedule = CronSchedule | FixedRateSchedule | FixedDelaySchedule;

/** Only the discriminator is known: used for an unknown `type` (its other fields are not checked). */
export class UnknownSchedule {
  @Discriminator(SCHEDULE_TYPES, 'parent')
  type!: string;
}

export function scheduleClassFor(raw: Record<string, unknown>): new () => object {
  switch (raw['type']) {
    case 'cron':
      return CronSchedule;
    case 'fixed_rate':
      return FixedRateSchedule;
    case 'fixed_delay':
      return FixedDelaySchedule;
    case 'one_time':
      return OneTimeSchedule;
    default:
      return UnknownSchedule;
  }
}

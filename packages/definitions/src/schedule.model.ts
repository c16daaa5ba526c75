import { Equals, IsDefined, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { AN_INTEGER, AT_LEAST, AT_MOST, IsTimeZone, oneOfMessage, REQUIRED } from './model.constraints';
import { IsCronExpression, IsExecuteAt, IsScheduleEndDate } from './schedule.constraints';
import { DEFAULT_TIMEZONE } from './time-zone';

export { parseScheduleDate } from './schedule.constraints';

/*
 * The schedule classes. `JobDefinition.schedule` picks the class from `type` (class-transformer
 * discriminator); an unknown or missing type gets UnknownSchedule, which reports only the type.
 * Validated with stopAtFirstError: a property's rules run bottom-up (the one nearest the property
 * first) and only the first failing one is reported; IsDefined always runs first.
 */

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

/** Fields every schedule type has. */
abstract class ScheduleBase {
  /** IANA zone the schedule is evaluated in (cron fields, local `end_date`). */
  @IsOptional()
  @IsTimeZone()
  timezone: string = DEFAULT_TIMEZONE;

  @IsOptional()
  @IsIn(MISFIRE_POLICIES, oneOfMessage(MISFIRE_POLICIES))
  misfire_policy: MisfirePolicy = DEFAULT_MISFIRE_POLICY;

  /** Most missed fires run at once under `fire_all`. */
  @IsOptional()
  @Max(MAX_MISFIRE_MAX_FIRES, AT_MOST)
  @Min(1, AT_LEAST)
  @IsInt(AN_INTEGER)
  misfire_max_fires: number = DEFAULT_MISFIRE_MAX_FIRES;
}

/** Fields of the recurring types. */
abstract class RecurringScheduleBase extends ScheduleBase {
  /**
   * No fire after this instant (inclusive). ISO date-time with offset, a local date-time in
   * `timezone`, or a date alone meaning the end of that local day. Null or absent: no end.
   */
  @IsOptional()
  @IsScheduleEndDate()
  end_date?: string | null;
}

/** Quartz (6-7 fields, with seconds) or Unix (5 fields) cron, evaluated in `timezone`. */
export class CronSchedule extends RecurringScheduleBase {
  @Equals('cron')
  type!: 'cron';

  @IsDefined(REQUIRED)
  @IsCronExpression()
  expression!: string;
}

/** Start to start: fires at anchor + k × interval_seconds (the anchor is the job's creation). */
export class FixedRateSchedule extends RecurringScheduleBase {
  @Equals('fixed_rate')
  type!: 'fixed_rate';

  @IsDefined(REQUIRED)
  @Max(MAX_INTERVAL_SECONDS, AT_MOST)
  @Min(1, AT_LEAST)
  @IsInt(AN_INTEGER)
  interval_seconds!: number;
}

/** End to start: the next run starts delay_seconds after the previous one finished. */
export class FixedDelaySchedule extends RecurringScheduleBase {
  @Equals('fixed_delay')
  type!: 'fixed_delay';

  @IsDefined(REQUIRED)
  @Max(MAX_INTERVAL_SECONDS, AT_MOST)
  @Min(1, AT_LEAST)
  @IsInt(AN_INTEGER)
  delay_seconds!: number;
}

/** Fires once at `execute_at` (ISO-8601 date-time with an offset or `Z`). */
export class OneTimeSchedule extends ScheduleBase {
  @Equals('one_time')
  type!: 'one_time';

  @IsDefined(REQUIRED)
  @IsExecuteAt()
  execute_at!: string;
}

export type Schedule = CronSchedule | FixedRateSchedule | FixedDelaySchedule | OneTimeSchedule;
export type RecurringSchedule = CronSchedule | FixedRateSchedule | FixedDelaySchedule;

/**
 * A schedule whose `type` is missing or unknown: only the type is reported (the meaning of the
 * other fields depends on it). The validator drops every other issue of an UnknownSchedule.
 */
export class UnknownSchedule {
  @IsDefined(REQUIRED)
  @IsIn(SCHEDULE_TYPES, oneOfMessage(SCHEDULE_TYPES))
  type!: string;
}

/** The class-transformer discriminator of `JobDefinition.schedule`. */
export const SCHEDULE_DISCRIMINATOR = {
  property: 'type',
  subTypes: [
    { name: 'cron', value: CronSchedule },
    { name: 'fixed_rate', value: FixedRateSchedule },
    { name: 'fixed_delay', value: FixedDelaySchedule },
    { name: 'one_time', value: OneTimeSchedule },
  ],
};

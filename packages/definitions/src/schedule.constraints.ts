import { ValidateBy, type ValidationArguments, type ValidationOptions } from 'class-validator';
import { DateTime } from 'luxon';
import { parseCron } from './cron-expression';
import { withHint } from './model.constraints';
import { cronEverFires } from './cron-fire';
import { CronSyntaxError } from './schedule.errors';
import { DEFAULT_TIMEZONE, isValidTimeZone } from './time-zone';

/** Named custom constraints of the schedule classes (cron syntax, ISO dates read in the schedule's zone). */

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;
const ISO_DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const HAS_OFFSET = /(Z|[+-]\d{2}(:?\d{2})?)$/;

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

/** The zone of the schedule being validated (its own `timezone` when valid). */
function zoneOf(args: ValidationArguments | undefined): string {
  const tz = (args?.object as { timezone?: unknown } | undefined)?.timezone;
  return isValidTimeZone(tz) ? tz : DEFAULT_TIMEZONE;
}

function cronProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.trim() === '') return 'must not be empty';
  try {
    return cronEverFires(parseCron(value)) ? null : 'never fires: no date matches the expression';
  } catch (err) {
    if (err instanceof CronSyntaxError) return err.message;
    throw err;
  }
}

/** Quartz (6-7 fields, with seconds) or Unix (5 fields) cron that can fire at least once. */
export function IsCronExpression(options?: ValidationOptions): PropertyDecorator {
  return withHint(
    ValidateBy(
      {
        name: 'isCronExpression',
        validator: {
          validate: (value: unknown) => cronProblem(value) === null,
          defaultMessage: (args) => cronProblem(args?.value) ?? 'must be a cron expression',
        },
      },
      options,
    ),
    { type: 'string', description: 'Quartz cron with seconds (`0 0 1 * * ?`) or 5-field Unix cron' },
  );
}

const END_DATE_MESSAGE = 'must be an ISO-8601 date or date-time (e.g. 2026-12-31 or 2026-12-31T23:59:59+07:00)';

/** An ISO date-time (offset optional: then local to the schedule's zone) or a date alone. */
export function IsScheduleEndDate(options?: ValidationOptions): PropertyDecorator {
  return withHint(
    ValidateBy(
      {
        name: 'isScheduleEndDate',
        validator: {
          validate: (value: unknown, args) => typeof value === 'string' && parseScheduleDate(value, zoneOf(args), true) !== null,
          defaultMessage: (args) => (typeof args?.value === 'string' ? END_DATE_MESSAGE : 'must be a string'),
        },
      },
      options,
    ),
    { type: 'string', pattern: `${ISO_DATE_ONLY.source}|${ISO_DATE_TIME.source}` },
  );
}

const EXECUTE_AT_MESSAGE = 'must be an ISO-8601 date-time with an offset or Z (e.g. 2026-01-31T09:00:00+07:00)';

/** An ISO date-time with an offset or `Z`. */
export function IsExecuteAt(options?: ValidationOptions): PropertyDecorator {
  const valid = (value: unknown, args?: ValidationArguments): boolean =>
    typeof value === 'string' && ISO_DATE_TIME.test(value) && HAS_OFFSET.test(value) && parseScheduleDate(value, zoneOf(args)) !== null;
  return withHint(
    ValidateBy(
      {
        name: 'isExecuteAt',
        validator: {
          validate: (value: unknown, args) => valid(value, args),
          defaultMessage: (args) => (typeof args?.value === 'string' ? EXECUTE_AT_MESSAGE : 'must be a string'),
        },
      },
      options,
    ),
    { type: 'string', format: 'date-time' },
  );
}

/**
 * A schedule that cannot be evaluated (unknown time zone, unparsable date, non-positive
 * interval). Validated definitions never produce it; it guards direct callers of the schedule
 * math. Permanent: retrying cannot fix it.
 */
export class ScheduleError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

/**
 * A malformed cron expression. `field` names the offending field (`second`, `minute`, `hour`,
 * `day-of-month`, `month`, `day-of-week`, `year`) when the problem is inside one field; the
 * message then starts with `<field> field: `.
 */
export class CronSyntaxError extends Error {
  readonly retryable = false;
  constructor(
    message: string,
    readonly expression: string,
    readonly field?: CronFieldName,
  ) {
    super(field === undefined ? message : `${field} field: ${message}`);
    this.name = 'CronSyntaxError';
  }
}

export type CronFieldName = 'second' | 'minute' | 'hour' | 'day-of-month' | 'month' | 'day-of-week' | 'year';

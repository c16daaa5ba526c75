// Job definitions: model (class-validator), validation to {path, message}, schedule math.

// Validation
export { assertValidJobDefinition, validateJobDefinition } from './job-definition.validator';
export type { JobDefinitionValidationResult } from './job-definition.validator';
export { formatIssues, JobDefinitionValidationError } from './validation-issue';
export type { ValidationIssue } from './validation-issue';

// Model
export {
  DEFAULT_JOB_TIMEOUT_SECONDS,
  DEFAULT_MAX_RETRIES,
  JobDefinition,
  JobTriggers,
  MAX_JOB_TIMEOUT_SECONDS,
  MAX_RETRIES_LIMIT,
  MAX_STEPS,
  MIN_WEBHOOK_SECRET_LENGTH,
  STEP_ID_PATTERN,
  StepDefinition,
  StepRetry,
  WebhookRateLimit,
  WebhookTrigger,
} from './job-definition.model';
export {
  CronSchedule,
  DEFAULT_MISFIRE_MAX_FIRES,
  DEFAULT_MISFIRE_POLICY,
  FixedDelaySchedule,
  FixedRateSchedule,
  MAX_MISFIRE_MAX_FIRES,
  MISFIRE_POLICIES,
  OneTimeSchedule,
  SCHEDULE_TYPES,
} from './schedule.model';
export type { MisfirePolicy, RecurringSchedule, Schedule, ScheduleType } from './schedule.model';
export {
  ColumnMappingTransformation,
  CONVERSION_TARGET_TYPES,
  DATABASE_TYPES,
  DatabaseStepConfig,
  DEFAULT_HTTP_TIMEOUT_SECONDS,
  DEFAULT_SFTP_PORT,
  FILE_FORMATS,
  FILE_OPERATIONS,
  FileProcessingOptions,
  FileProcessingStepConfig,
  FilterTransformation,
  HTTP_AUTH_TYPES,
  HTTP_METHODS,
  HttpBasicAuth,
  HttpBearerAuth,
  HttpOAuth2Auth,
  HttpStepConfig,
  QUERY_TYPES,
  SFTP_AUTH_TYPES,
  SFTP_OPERATIONS,
  SftpKeyAuth,
  SftpOptions,
  SftpPasswordAuth,
  SftpStepConfig,
  STEP_TYPES,
  TRANSFORMATION_TYPES,
  TypeConversionTransformation,
} from './step-config.model';
export type {
  ConversionTargetType,
  DatabaseType,
  FileTransformation,
  HttpAuth,
  HttpMethod,
  QueryType,
  SftpAuth,
  StepConfig,
  StepType,
} from './step-config.model';

// Time zones
export { DEFAULT_TIMEZONE, isValidTimeZone } from './time-zone';

// Cron
export { CRON_MAX_YEAR, CRON_MIN_YEAR, parseCron } from './cron-expression';
export type { CronExpression, CronFormat } from './cron-expression';
export { cronMatches, nextCronFire, nextCronFires, prevCronFire } from './cron-fire';
export { CronSyntaxError, ScheduleError } from './schedule.errors';
export type { CronFieldName } from './schedule.errors';

// Schedules
export { describeSchedule, MAX_UPCOMING_FIRES, nextFireTime, upcomingFires } from './schedule.math';
export type { FireTimeOptions } from './schedule.math';
export { DEFAULT_MISFIRE_THRESHOLD_MS, MAX_LISTED_MISSED_FIRES, planMisfires } from './misfire.planner';
export type {
  MisfirePlan,
  MisfireSkipReason,
  PlanMisfiresOptions,
  SkippedFire,
  SkippedFireSummary,
} from './misfire.planner';

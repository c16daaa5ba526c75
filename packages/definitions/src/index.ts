// Job definitions: model (class-validator), validation to {path, message}, schedule math.

// Validation
export { assertValidJobDefinition, validateJobDefinition } from './job-definition.validator';
export type { JobDefinitionValidationResult } from './job-definition.validator';
export { formatIssues, JobDefinitionValidationError } from './validation-issue';
export { readJobDefinition } from './job-definition.reader';
export type { ReadJobDefinitionResult } from './job-definition.reader';
export { convertLegacyDialect } from './legacy-dialect.converter';
export type { DialectConversion } from './legacy-dialect.converter';

// Import and export
export { extractSecrets, fillSecretPlaceholders, findSecretPlaceholders, SECRET_PLACEHOLDER, secretPlaceholder } from './job-secrets';
export type { SecretReference } from './job-secrets';
export { isJobExport, JOB_EXPORT_FORMAT_VERSION, jobExportFileName } from './job-export.format';
export type { ExportedVariable, JobExport } from './job-export.format';
export type { ValidationIssue } from './validation-issue';
export type { StepConfigClass, StepConfigProblem, StepTypeCatalog } from './step-type-catalog';

// JSON Schema
export { jobDefinitionJsonSchema, jobDefinitionSchemas } from './job-definition.schema';
export type { JobDefinitionSchemas, JsonSchemaObject } from './job-definition.schema';

// Model
export {
  DEFAULT_JOB_TIMEOUT_SECONDS,
  DEFAULT_MAX_RETRIES,
  DEFAULT_RETRY_DELAYS_SECONDS,
  DEFAULT_RETRY_JITTER,
  JobDefinition,
  JobTriggers,
  MAX_BACKOFF_SECONDS,
  MAX_JOB_TIMEOUT_SECONDS,
  MAX_RETRIES_LIMIT,
  MAX_RETRY_DELAYS,
  RetrySchedule,
  MAX_STEPS,
  MAX_FORWARD_HEADERS,
  MAX_NOTE_LENGTH,
  MAX_NOTES,
  HTTP_HEADER_NAME,
  MIN_WEBHOOK_SECRET_LENGTH,
  STEP_ID_PATTERN,
  StepDefinition,
  StepRetry,
  WebhookRateLimit,
  WebhookTrigger,
} from './job-definition.model';
export type { StepConfigJson } from './job-definition.model';
export { AlertChannel, ALERT_CHANNEL_TYPES, JobAlerts, MAX_ALERT_CHANNELS, MAX_ALERT_RECIPIENTS, MAX_ALERT_REMINDER_MINUTES } from './alerts.model';
export type { AlertChannelType } from './alerts.model';
export {
  CronSchedule,
  DEFAULT_MISFIRE_MAX_FIRES,
  DEFAULT_MISFIRE_POLICY,
  FixedDelaySchedule,
  FixedRateSchedule,
  MAX_INTERVAL_SECONDS,
  MAX_MISFIRE_MAX_FIRES,
  MISFIRE_POLICIES,
  OneTimeSchedule,
  SCHEDULE_TYPES,
} from './schedule.model';
export type { MisfirePolicy, RecurringSchedule, Schedule, ScheduleType } from './schedule.model';

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

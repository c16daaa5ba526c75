import { IsEmail, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { BaseEnv } from '@vecron/config';

const HTTP_URL = /^https?:\/\/\S+$/;

/**
 * The worker's observability settings (see .env.example): its metrics listener, execution log
 * capture and failure alerts. WorkerEnv extends it.
 */
export class WorkerObservabilityEnv extends BaseEnv {
  /** Port of the worker's `/metrics` and `/health` listener; 0 (default): no listener. */
  @IsInt() @Min(0) @Max(65535)
  WORKER_METRICS_PORT: number = 0;

  /** Address the metrics listener binds to. */
  @IsString()
  METRICS_HOST: string = '127.0.0.1';

  /** Most log lines kept per execution (`GET /api/executions/:id/logs`); 0: none kept. */
  @IsInt() @Min(0) @Max(100_000)
  EXECUTION_LOG_MAX_LINES: number = 1_000;

  /** How often captured logs are written and alert states updated (one statement each for all executions meanwhile). */
  @IsInt() @Min(10) @Max(60_000)
  OBSERVE_FLUSH_MS: number = 250;

  /** Failed executions in a row before a job's alert (a job's `alerts.after_consecutive_failures` wins). */
  @IsInt() @Min(1) @Max(1000)
  ALERT_AFTER_CONSECUTIVE_FAILURES: number = 3;

  /** Minutes between reminders while a job keeps failing; 0: no reminder (a job's `alerts.reminder_interval_minutes` wins). */
  @IsInt() @Min(0) @Max(43_200)
  ALERT_REMINDER_INTERVAL_MINUTES: number = 0;

  /** Default channel: generic webhook receiving the alert as signed JSON. */
  @IsOptional() @Matches(HTTP_URL, { message: 'must be an http(s) URL' })
  ALERT_WEBHOOK_URL?: string;

  /** HMAC-SHA256 key of the webhook channel's `X-Vecron-Signature` (every webhook channel, global or per job). */
  @IsOptional() @IsString()
  ALERT_WEBHOOK_SECRET?: string;

  /** Default channel: Slack-compatible incoming webhook URL. */
  @IsOptional() @Matches(HTTP_URL, { message: 'must be an http(s) URL' })
  ALERT_SLACK_WEBHOOK_URL?: string;

  /** Default channel: e-mail recipients, comma-separated. */
  @IsOptional() @Matches(/^[^,\s]+@[^,\s]+(\s*,\s*[^,\s]+@[^,\s]+)*$/, { message: 'must be e-mail addresses separated by commas' })
  ALERT_EMAIL_TO?: string;

  /** SMTP server of the e-mail channel: smtp://user:pass@host:port or smtps://… */
  @IsOptional() @Matches(/^smtps?:\/\/\S+$/, { message: 'must be an smtp:// or smtps:// URL' })
  ALERT_SMTP_URL?: string;

  /** Sender of alert e-mails. */
  @IsEmail({ require_tld: false }, { message: 'must be an e-mail address' })
  ALERT_EMAIL_FROM: string = 'vecron@localhost';

  /** Link to an execution in alerts; `{execution_id}` and `{job_id}` are replaced. */
  @IsString()
  ALERT_EXECUTION_URL: string = 'http://127.0.0.1:8080/executions/{execution_id}';

  /** Attempts per channel and alert before giving up (logged). */
  @IsInt() @Min(1) @Max(20)
  ALERT_RETRY_ATTEMPTS: number = 3;

  /** Delay before the second attempt; doubles each time. */
  @IsInt() @Min(0) @Max(600_000)
  ALERT_RETRY_BASE_MS: number = 1_000;

  /** Timeout of one webhook/Slack/SMTP attempt. */
  @IsInt() @Min(100) @Max(120_000)
  ALERT_TIMEOUT_MS: number = 10_000;
}

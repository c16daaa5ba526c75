import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsEmail,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { A_BOOLEAN, A_STRING, AN_ARRAY, AN_INTEGER, AT_LEAST, AT_MOST, AT_MOST_CHARS, oneOfMessage, REQUIRED } from './model.constraints';

export const ALERT_CHANNEL_TYPES = ['webhook', 'slack', 'email'] as const;
export type AlertChannelType = (typeof ALERT_CHANNEL_TYPES)[number];
export const MAX_ALERT_CHANNELS = 20;
export const MAX_ALERT_RECIPIENTS = 50;
/** Longest reminder interval: 30 days. */
export const MAX_ALERT_REMINDER_MINUTES = 43_200;

const HTTP_URL = { require_protocol: true, protocols: ['http', 'https'], require_tld: false };

/**
 * Where an alert goes. `webhook`: a JSON POST to `url`, signed with HMAC-SHA256 (header
 * `X-Vecron-Signature`, key ALERT_WEBHOOK_SECRET); `slack`: a Slack-compatible incoming webhook
 * `url` (`{"text": …}`); `email`: a mail to every address of `to` over the worker's SMTP server.
 */
export class AlertChannel {
  @IsDefined(REQUIRED)
  @IsIn(ALERT_CHANNEL_TYPES, oneOfMessage(ALERT_CHANNEL_TYPES))
  type!: AlertChannelType;

  /** Required for `webhook` and `slack`: an http(s) URL. */
  @ValidateIf((c: AlertChannel) => c.type === 'webhook' || c.type === 'slack' || c.url !== undefined)
  @IsDefined(REQUIRED)
  @MaxLength(2000, AT_MOST_CHARS)
  @IsUrl(HTTP_URL, { message: 'must be an http(s) URL' })
  @IsString(A_STRING)
  url?: string;

  /** Required for `email`: the recipients. */
  @ValidateIf((c: AlertChannel) => c.type === 'email' || c.to !== undefined)
  @IsDefined(REQUIRED)
  @IsEmail({}, { each: true, message: 'must contain e-mail addresses' })
  @ArrayMaxSize(MAX_ALERT_RECIPIENTS, { message: `must contain at most ${MAX_ALERT_RECIPIENTS} addresses` })
  @ArrayMinSize(1, { message: 'must contain at least one address' })
  @IsArray(AN_ARRAY)
  to?: string[];
}

/**
 * Failure alerts of a job. After `after_consecutive_failures` failed executions in a row
 * (failed, timeout, dead_letter; cancelled runs do not count) one alert is sent; the next success
 * sends one "recovered" message. While the job keeps failing nothing is repeated, unless
 * `reminder_interval_minutes` is set (then one reminder per interval). `channels` replaces the
 * worker's global channels (ALERT_* variables) for this job. Every field is optional: the
 * worker's defaults apply (ALERT_AFTER_CONSECUTIVE_FAILURES, default 3).
 */
export class JobAlerts {
  /** False: no alerts for this job. */
  @IsOptional()
  @IsBoolean(A_BOOLEAN)
  enabled?: boolean;

  @IsOptional()
  @Max(1000, AT_MOST)
  @Min(1, AT_LEAST)
  @IsInt(AN_INTEGER)
  after_consecutive_failures?: number | null;

  /** Minutes between reminders while the job keeps failing; 0 or absent: no reminder. */
  @IsOptional()
  @Max(MAX_ALERT_REMINDER_MINUTES, AT_MOST)
  @Min(0, AT_LEAST)
  @IsInt(AN_INTEGER)
  reminder_interval_minutes?: number | null;

  @IsOptional()
  @ArrayMaxSize(MAX_ALERT_CHANNELS, { message: `must contain at most ${MAX_ALERT_CHANNELS} channels` })
  @IsObject({ each: true, message: 'must contain objects' })
  @IsArray(AN_ARRAY)
  @ValidateNested({ each: true })
  @Type(() => AlertChannel)
  channels?: AlertChannel[] | null;
}

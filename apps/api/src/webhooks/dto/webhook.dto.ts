import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageQuery } from '../../jobs/dto/list-jobs.query';

export class WebhookRateLimitDto {
  @ApiProperty() max_requests!: number;
  @ApiProperty() window_seconds!: number;
}

/** A job's webhook as `GET /api/jobs/:id` shows it; `secret` only right after it was issued. */
export class WebhookInfoDto {
  @ApiProperty({ description: 'the public URL (WEBHOOK_BASE_URL + path), or the path when no base URL is configured', example: '/webhooks/3q2x…' })
  url!: string;

  @ApiProperty({ example: '/webhooks/3q2x…' })
  path!: string;

  @ApiProperty({ description: 'the webhook trigger is on (the job itself must be enabled too)' })
  enabled!: boolean;

  @ApiPropertyOptional({ type: WebhookRateLimitDto, nullable: true })
  rate_limit!: WebhookRateLimitDto | null;

  @ApiPropertyOptional({ type: [String], nullable: true, description: 'headers copied into webhook.headers; null: all but Authorization, Cookie and the signature headers' })
  forward_headers!: string[] | null;

  @ApiProperty({ description: 'when the current key and secret were issued' })
  issued_at!: string;

  @ApiPropertyOptional({ description: 'the HMAC secret: returned only by the create that generated it and by regenerate' })
  secret?: string;
}

/** A row of `GET /api/webhooks`: never a secret. */
export class WebhookListItemDto {
  @ApiProperty() job_id!: string;
  @ApiProperty() job_name!: string;
  @ApiProperty() url!: string;
  @ApiProperty() path!: string;
  @ApiProperty({ description: 'the webhook trigger is on' }) enabled!: boolean;
  @ApiProperty() job_enabled!: boolean;
  @ApiPropertyOptional({ type: WebhookRateLimitDto, nullable: true }) rate_limit!: WebhookRateLimitDto | null;
  @ApiPropertyOptional({ type: [String], nullable: true }) forward_headers!: string[] | null;
  @ApiPropertyOptional({ nullable: true, description: 'last request received for this URL (any outcome)' }) last_call_at!: string | null;
  @ApiPropertyOptional({ nullable: true, description: 'HTTP status of that request' }) last_call_status!: number | null;
  @ApiProperty({ description: 'requests received in the last 24 hours (any outcome)' }) calls_24h!: number;
  @ApiProperty() issued_at!: string;
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookListItemDto] }) items!: WebhookListItemDto[];
  @ApiProperty() total!: number;
  @ApiProperty() page!: number;
  @ApiProperty() page_size!: number;
}

export class ListWebhooksQuery extends PageQuery {}

/** 202 answer of `POST /webhooks/{key}`. */
export class WebhookAcceptedDto {
  @ApiProperty({ description: 'the execution started (or, for a repeated Idempotency-Key, the one the first request started)' })
  execution_id!: string;
}

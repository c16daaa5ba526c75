import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../auth/auth.decorators';
import { UuidPipe } from '../errors/uuid.pipe';
import { ListWebhooksQuery, WebhookInfoDto, WebhookListDto } from './dto/webhook.dto';
import { WebhooksService } from './webhooks.service';

@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('api')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get('webhooks')
  @RequirePermissions('webhook:read')
  @ApiOperation({ summary: 'Jobs with a webhook: URL, enabled, rate limit, last call, calls in the last 24 h (never secrets)' })
  @ApiOkResponse({ type: WebhookListDto })
  list(@Query() query: ListWebhooksQuery): Promise<WebhookListDto> {
    return this.webhooks.list(query);
  }

  @Post('jobs/:id/webhook/regenerate')
  @RequirePermissions('webhook:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Issue a new webhook key and secret (returned once); the old URL answers 404 at once' })
  @ApiOkResponse({ type: WebhookInfoDto })
  regenerate(@Param('id', UuidPipe) id: string): Promise<WebhookInfoDto> {
    return this.webhooks.regenerate(id);
  }
}

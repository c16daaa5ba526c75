import { Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConsumes, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { WebhookAcceptedDto } from './dto/webhook.dto';
import { REQUEST_ID_HEADER, WebhookReceiverService, requestIdOf } from './webhook-receiver.service';

@ApiTags('webhooks')
@Controller('webhooks')
export class WebhookReceiverController {
  constructor(private readonly receiver: WebhookReceiverService) {}

  @Post(':key')
  @Public()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Start a job from a signed request (public endpoint)',
    description:
      'The body is any content (JSON is parsed into webhook.payload, other types are passed as text). ' +
      'Sign HMAC-SHA256 over the raw body, or over "{timestamp}.{body}" when X-Webhook-Timestamp is sent.',
  })
  @ApiConsumes('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream')
  @ApiHeader({ name: 'X-Webhook-Signature', required: true, description: 'sha256=<hex HMAC-SHA256 of the signed content with the job secret>' })
  @ApiHeader({ name: 'X-Webhook-Timestamp', required: false, description: 'unix seconds; signed with the body; refused outside WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'a repeat within 24 h returns the first execution_id and starts nothing' })
  @ApiAcceptedResponse({ type: WebhookAcceptedDto, description: 'execution queued' })
  @ApiResponse({ status: 400, description: 'body not valid for its Content-Type' })
  @ApiResponse({ status: 401, description: 'missing or bad signature, or timestamp outside the window' })
  @ApiResponse({ status: 403, description: 'job disabled or webhook trigger off' })
  @ApiResponse({ status: 404, description: 'unknown key' })
  @ApiResponse({ status: 409, description: 'a run is in progress and the job forbids concurrent runs' })
  @ApiResponse({ status: 413, description: 'body over WEBHOOK_BODY_LIMIT' })
  @ApiResponse({ status: 429, description: "over the job's rate_limit; see Retry-After" })
  receive(@Param('key') key: string, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<WebhookAcceptedDto> {
    const requestId = requestIdOf(req);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    return this.receiver.receive(key, req, requestId);
  }
}

import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Registry } from '@vecron/telemetry';
import { Public } from '../auth/auth.decorators';
import { API_METRICS_REGISTRY } from './observability.tokens';

/** `GET /metrics`: Prometheus text format (open, like /health). */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(API_METRICS_REGISTRY) private readonly registry: Registry) {}

  @Get()
  @Public()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('cache-control', 'no-store')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { UuidPipe } from '../errors/uuid.pipe';
import { ListExecutionsQuery } from './dto/list-executions.query';
import { TriggerJobDto } from './dto/trigger-job.dto';
import { ExecutionsService } from './executions.service';

@ApiTags('executions')
@Controller('api')
export class ExecutionsController {
  constructor(private readonly executions: ExecutionsService) {}

  @Post('jobs/:id/trigger')
  @HttpCode(202)
  @ApiOperation({ summary: 'Run a job now (trigger_source manual); an optional payload is exposed to templates as webhook.payload' })
  trigger(@Param('id', UuidPipe) id: string, @Body() body: TriggerJobDto) {
    return this.executions.triggerManual(id, body?.payload);
  }

  @Get('executions')
  @ApiOperation({ summary: 'List executions, newest first' })
  list(@Query() query: ListExecutionsQuery) {
    return this.executions.list(query);
  }

  @Get('executions/:id')
  @ApiOperation({ summary: 'One execution with its per-step summary' })
  get(@Param('id', UuidPipe) id: string) {
    return this.executions.get(id);
  }

  @Get('executions/:id/context')
  @ApiOperation({ summary: 'The stored Job Context of an execution' })
  context(@Param('id', UuidPipe) id: string) {
    return this.executions.getContext(id);
  }
}

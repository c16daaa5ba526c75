import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser, RequirePermissions } from '../auth/auth.decorators';
import { UuidPipe } from '../errors/uuid.pipe';
import { ExecutionResponse } from './dto/execution.response';
import { ReplayExecutionDto, ReplayExecutionResponse } from './dto/replay-execution.dto';
import { StopExecutionResponse } from './dto/stop-execution.response';
import { ListExecutionsQuery } from './dto/list-executions.query';
import { TriggerJobDto } from './dto/trigger-job.dto';
import { ExecutionsService } from './executions.service';

@ApiTags('executions')
@ApiBearerAuth()
@Controller('api')
export class ExecutionsController {
  constructor(private readonly executions: ExecutionsService) {}

  @Post('jobs/:id/trigger')
  @RequirePermissions('job:execute')
  @HttpCode(202)
  @ApiOperation({ summary: 'Run a job now (trigger_source manual); an optional payload is exposed to templates as webhook.payload' })
  trigger(@Param('id', UuidPipe) id: string, @Body() body: TriggerJobDto, @CurrentUser() user: AuthUser) {
    return this.executions.triggerManual(id, body?.payload, user);
  }

  @Post('executions/:id/stop')
  @RequirePermissions('execution:stop')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Stop a pending or running execution: a pending one is cancelled at once, a running one is aborted by its worker (ends cancelled within seconds). 404 unknown id, 409 already finished',
  })
  @ApiAcceptedResponse({ type: StopExecutionResponse })
  stop(@Param('id', UuidPipe) id: string, @CurrentUser() user: AuthUser): Promise<StopExecutionResponse> {
    return this.executions.stop(id, user);
  }

  @Post('executions/:id/replay')
  @RequirePermissions('job:execute')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Replay a finished execution (e.g. a dead_letter) as a new execution linked by replay_of: from the failed step with the original context before it, or from the start. 404 unknown id; 409 not finished, no failed step, job disabled, or (allow_concurrent false) another run in progress',
  })
  @ApiAcceptedResponse({ type: ReplayExecutionResponse })
  replay(@Param('id', UuidPipe) id: string, @Body() body: ReplayExecutionDto, @CurrentUser() user: AuthUser): Promise<ReplayExecutionResponse> {
    return this.executions.replay(id, body?.from ?? 'failed_step', user);
  }

  @Get('executions')
  @RequirePermissions('execution:read')
  @ApiOperation({ summary: 'List executions, newest first' })
  list(@Query() query: ListExecutionsQuery, @CurrentUser() user: AuthUser) {
    return this.executions.list(query, user);
  }

  @Get('executions/:id')
  @RequirePermissions('execution:read')
  @ApiOperation({ summary: 'One execution with its per-step summary and every attempt of every step' })
  @ApiOkResponse({ type: ExecutionResponse })
  get(@Param('id', UuidPipe) id: string, @CurrentUser() user: AuthUser) {
    return this.executions.get(id, user);
  }

  @Get('executions/:id/context')
  @RequirePermissions('execution:read')
  @ApiOperation({ summary: 'The stored Job Context of an execution' })
  context(@Param('id', UuidPipe) id: string, @CurrentUser() user: AuthUser) {
    return this.executions.getContext(id, user);
  }
}

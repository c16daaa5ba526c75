import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Database, ExecutionLogsRepository, ExecutionsRepository } from '@vecron/db';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser, RequirePermissions } from '../auth/auth.decorators';
import { SEE_ALL_EXECUTIONS } from '../auth/permissions';
import { NotFoundError } from '../errors/app-errors';
import { UuidPipe } from '../errors/uuid.pipe';
import { ExecutionLogsResponse, type ExecutionLogLineDto } from './execution-logs.dto';

const FINISHED = new Set(['success', 'failed', 'timeout', 'cancelled', 'dead_letter']);

@ApiTags('executions')
@ApiBearerAuth()
@Controller('api/executions')
export class ExecutionLogsController {
  private readonly logs: ExecutionLogsRepository;

  constructor(db: Database, private readonly executions: ExecutionsRepository) {
    this.logs = new ExecutionLogsRepository(db);
  }

  @Get(':id/logs')
  @RequirePermissions('execution:read')
  @ApiOperation({ summary: "The execution's log lines (start and end lines with status and duration, each step's lines), kept as long as the execution" })
  @ApiOkResponse({ type: ExecutionLogsResponse })
  @ApiNotFoundResponse({ description: 'unknown execution, or one the caller may not see (as for GET /api/executions/:id)' })
  async get(@Param('id', UuidPipe) id: string, @CurrentUser() user: AuthUser): Promise<ExecutionLogsResponse> {
    const execution = await this.executions.findById(id);
    // Visible as the execution itself is: everything with SEE_ALL_EXECUTIONS, else the caller's own triggers.
    if (!execution || (!user.permissions.includes(SEE_ALL_EXECUTIONS) && execution.triggered_by !== user.id)) throw new NotFoundError(`execution ${id} not found`);
    const stored = await this.logs.find(id);
    const items = (stored?.lines ?? []) as ExecutionLogLineDto[];
    return {
      execution_id: id,
      status: execution.status,
      complete: FINISHED.has(execution.status) && stored !== null,
      items,
      total: items.length,
      dropped_lines: stored?.dropped_lines ?? 0,
    };
  }
}

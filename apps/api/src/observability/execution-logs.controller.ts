import { Controller, Get, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Database, ExecutionLogsRepository, ExecutionsRepository } from '@vecron/db';
import { NotFoundError } from '../errors/app-errors';
import { UuidPipe } from '../errors/uuid.pipe';
import { ExecutionLogsResponse, type ExecutionLogLineDto } from './execution-logs.dto';

const FINISHED = new Set(['success', 'failed', 'timeout', 'cancelled', 'dead_letter']);

@ApiTags('executions')
@Controller('api/executions')
export class ExecutionLogsController {
  private readonly logs: ExecutionLogsRepository;

  constructor(db: Database, private readonly executions: ExecutionsRepository) {
    this.logs = new ExecutionLogsRepository(db);
  }

  @Get(':id/logs')
  @ApiOperation({ summary: "The execution's log lines (start and end lines with status and duration, each step's lines), kept as long as the execution" })
  @ApiOkResponse({ type: ExecutionLogsResponse })
  @ApiNotFoundResponse({ description: 'unknown execution' })
  async get(@Param('id', UuidPipe) id: string): Promise<ExecutionLogsResponse> {
    const execution = await this.executions.findById(id);
    if (!execution) throw new NotFoundError(`execution ${id} not found`);
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

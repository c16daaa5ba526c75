import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser, RequirePermissions } from '../auth/auth.decorators';
import { ListJobsQuery } from './dto/list-jobs.query';
import { JOB_DEFINITION_SCHEMA_REF } from './job-definition.openapi';
import { UuidPipe } from '../errors/uuid.pipe';
import { JobsService } from './jobs.service';

/** The JobDefinition schema is generated from the model classes and added by configureApiApp (openapi.ts). */
const definitionBody = {
  description: 'a job definition; also served as a JSON Schema at GET /api/schema/job-definition',
  schema: { $ref: JOB_DEFINITION_SCHEMA_REF },
};

@ApiTags('jobs')
@ApiBearerAuth()
@Controller('api/jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  @RequirePermissions('job:write')
  @ApiOperation({ summary: 'Create a job from a definition (at most JOB_DEFINITION_BODY_LIMIT, default 1 MB)' })
  @ApiBody(definitionBody)
  create(@Body() body: unknown, @CurrentUser() user: AuthUser) {
    return this.jobs.create(body, user);
  }

  @Get()
  @RequirePermissions('job:read')
  @ApiOperation({ summary: 'List jobs (pagination, filter by name and enabled)' })
  list(@Query() query: ListJobsQuery) {
    return this.jobs.list(query);
  }

  @Get(':id')
  @RequirePermissions('job:read')
  @ApiOperation({ summary: 'A job with its current definition' })
  get(@Param('id', UuidPipe) id: string) {
    return this.jobs.get(id);
  }

  @Put(':id')
  @RequirePermissions('job:write')
  @ApiOperation({ summary: 'Replace the definition (stored as a new version)' })
  @ApiBody(definitionBody)
  update(@Param('id', UuidPipe) id: string, @Body() body: unknown, @CurrentUser() user: AuthUser) {
    return this.jobs.update(id, body, user);
  }

  @Delete(':id')
  @RequirePermissions('job:delete')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a job (its executions are kept)' })
  async remove(@Param('id', UuidPipe) id: string): Promise<void> {
    await this.jobs.remove(id);
  }

  @Post(':id/enable')
  @RequirePermissions('job:write')
  @HttpCode(200)
  enable(@Param('id', UuidPipe) id: string, @CurrentUser() user: AuthUser) {
    return this.jobs.setEnabled(id, true, user);
  }

  @Post(':id/disable')
  @RequirePermissions('job:write')
  @HttpCode(200)
  disable(@Param('id', UuidPipe) id: string, @CurrentUser() user: AuthUser) {
    return this.jobs.setEnabled(id, false, user);
  }
}

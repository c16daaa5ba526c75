import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser, RequirePermissions } from '../auth/auth.decorators';
import { UuidPipe } from '../errors/uuid.pipe';
import { CreateVariableDto, ListVariablesQuery, UpdateVariableDto } from './dto/variable.dto';
import { VariablesService } from './variables.service';

@ApiTags('variables')
@ApiBearerAuth()
@Controller('api/variables')
export class VariablesController {
  constructor(private readonly variables: VariablesService) {}

  @Get()
  @RequirePermissions('variable:read')
  @ApiOperation({ summary: 'List variables (filter by scope global|job and job_id); sensitive values masked' })
  list(@Query() q: ListVariablesQuery, @CurrentUser() user: AuthUser) {
    return this.variables.list(q, user);
  }

  @Post()
  @RequirePermissions('variable:write')
  @ApiOperation({ summary: 'Create a global (job_id null) or job-scoped variable' })
  create(@Body() dto: CreateVariableDto, @CurrentUser() user: AuthUser) {
    return this.variables.create(dto, user);
  }

  @Put(':id')
  @RequirePermissions('variable:write')
  update(@Param('id', UuidPipe) id: string, @Body() dto: UpdateVariableDto, @CurrentUser() user: AuthUser) {
    return this.variables.update(id, dto, user);
  }

  @Delete(':id')
  @RequirePermissions('variable:write')
  @HttpCode(204)
  async remove(@Param('id', UuidPipe) id: string, @CurrentUser() user: AuthUser): Promise<void> {
    await this.variables.remove(id, user);
  }
}

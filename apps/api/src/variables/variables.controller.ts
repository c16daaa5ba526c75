import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { UuidPipe } from '../errors/uuid.pipe';
import { CreateVariableDto, ListVariablesQuery, UpdateVariableDto } from './dto/variable.dto';
import { VariablesService } from './variables.service';

@ApiTags('variables')
@Controller('api/variables')
export class VariablesController {
  constructor(private readonly variables: VariablesService) {}

  @Get()
  @ApiOperation({ summary: 'List variables (filter by scope global|job and job_id); sensitive values masked' })
  list(@Query() q: ListVariablesQuery) {
    return this.variables.list(q);
  }

  @Post()
  @ApiOperation({ summary: 'Create a global (job_id null) or job-scoped variable' })
  create(@Body() dto: CreateVariableDto) {
    return this.variables.create(dto);
  }

  @Put(':id')
  update(@Param('id', UuidPipe) id: string, @Body() dto: UpdateVariableDto) {
    return this.variables.update(id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id', UuidPipe) id: string): Promise<void> {
    await this.variables.remove(id);
  }
}

import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { jobDefinitionJsonSchema, type JsonSchemaObject } from '@vecron/definitions';
import type { ExecutorRegistry } from '@vecron/executors';
import { RequirePermissions } from '../auth/auth.decorators';
import { asStepTypeCatalog, InjectStepTypes } from './step-types';

@ApiTags('jobs')
@Controller('api/schema')
export class JobDefinitionSchemaController {
  private readonly schema: JsonSchemaObject;

  constructor(@InjectStepTypes() stepTypes: ExecutorRegistry) {
    // Generated once from the model classes and the registered step types' config classes.
    this.schema = jobDefinitionJsonSchema(asStepTypeCatalog(stepTypes));
  }

  @Get('job-definition')
  @RequirePermissions('job:read')
  @ApiOperation({ summary: 'JSON Schema (draft 2020-12) of a job definition, with every registered step type' })
  @ApiOkResponse({ description: 'a JSON Schema document', schema: { type: 'object' } })
  jobDefinition(): JsonSchemaObject {
    return this.schema;
  }
}

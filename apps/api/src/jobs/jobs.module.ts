import { Module } from '@nestjs/common';
import { ExecutorsModule } from '@vecron/executors';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { JobDefinitionSchemaController } from './job-definition-schema.controller';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';

/**
 * Jobs and their definition format. ExecutorsModule (the built-in step types) is the catalog the
 * definitions are validated against; the api never runs a step.
 */
@Module({
  imports: [ExecutorsModule.forRoot(), WebhooksModule],
  controllers: [JobsController, JobDefinitionSchemaController],
  providers: [JobsService],
  exports: [JobsService, ExecutorsModule],
})
export class JobsModule {}

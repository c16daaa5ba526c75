import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { ExecutionsController } from './executions.controller';
import { ExecutionStopPublisher } from './execution-stop.publisher';
import { ExecutionsService } from './executions.service';

@Module({ imports: [JobsModule], controllers: [ExecutionsController], providers: [ExecutionsService, ExecutionStopPublisher], exports: [ExecutionsService] })
export class ExecutionsModule {}

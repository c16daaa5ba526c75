import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { ExecutionsController } from './executions.controller';
import { ExecutionsService } from './executions.service';

@Module({ imports: [JobsModule], controllers: [ExecutionsController], providers: [ExecutionsService] })
export class ExecutionsModule {}

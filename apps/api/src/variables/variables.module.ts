import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { VariablesController } from './variables.controller';
import { VariablesService } from './variables.service';

@Module({ imports: [JobsModule], controllers: [VariablesController], providers: [VariablesService], exports: [VariablesService] })
export class VariablesModule {}

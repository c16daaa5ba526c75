import { Module } from '@nestjs/common';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';

@Module({ imports: [WebhooksModule], controllers: [JobsController], providers: [JobsService], exports: [JobsService] })
export class JobsModule {}

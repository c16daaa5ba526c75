import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { JobExportService } from './job-export.service';
import { JobImportService } from './job-import.service';
import { JobsPortingController } from './jobs-porting.controller';

/** Job import and export (files, ZIPs, secret placeholders, the legacy dialect). */
@Module({
  imports: [JobsModule],
  controllers: [JobsPortingController],
  providers: [JobExportService, JobImportService],
  exports: [JobExportService, JobImportService],
})
export class PortingModule {}

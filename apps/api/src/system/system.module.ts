import { Module } from '@nestjs/common';
import { SystemConfigController } from './system-config.controller';

/** /api/system/*: the effective configuration (the audit log is served by AuditModule). */
@Module({
  controllers: [SystemConfigController],
})
export class SystemModule {}

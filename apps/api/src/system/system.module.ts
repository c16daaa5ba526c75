import { Module } from '@nestjs/common';
import { SystemConfigController } from './system-config.controller';
import { SystemController } from './system.controller';
import { SystemService } from './system.service';

/** /api/system/*: the effective configuration, the circuit breakers (the audit log is served by AuditModule). */
@Module({
  controllers: [SystemConfigController, SystemController],
  providers: [SystemService],
})
export class SystemModule {}

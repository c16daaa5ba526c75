import { Module } from '@nestjs/common';
import { SystemController } from './system.controller';
import { SystemService } from './system.service';

/** System state: `GET /api/system/circuits`. */
@Module({ controllers: [SystemController], providers: [SystemService] })
export class SystemModule {}

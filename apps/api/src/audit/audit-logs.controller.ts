import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../auth/auth.decorators';
import { AuditRepository } from './audit.repository';
import { ListAuditLogsQuery } from './dto/list-audit-logs.query';

@ApiTags('system')
@ApiBearerAuth()
@Controller('api/system/audit-logs')
export class AuditLogsController {
  constructor(private readonly repo: AuditRepository) {}

  @Get()
  @RequirePermissions('system:audit')
  @ApiOperation({ summary: 'Audit log, newest first: state-changing requests, logins, permission denials (filters, pagination)' })
  async list(@Query() q: ListAuditLogsQuery) {
    const { items, total } = await this.repo.list({
      userId: q.user_id, username: q.username, action: q.action, result: q.result, resource: q.resource, from: q.from, to: q.to,
      page: q.page, pageSize: q.page_size,
    });
    return { items: items.map((r) => ({ ...r, at: r.at.toISOString() })), total, page: q.page, page_size: q.page_size };
  }
}

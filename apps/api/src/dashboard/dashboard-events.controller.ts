import { Controller, Get, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RequirePermissions } from '../auth/auth.decorators';
import { SEE_ALL_EXECUTIONS } from '../auth/permissions';
import { hasPermission } from './dashboard-auth.adapter';
import { DashboardForbidden, DashboardSignInRequired } from './dashboard-page.errors';
import { DashboardPageFilter } from './dashboard-page.filter';
import { DashboardViews } from './dashboard-view';
import { DashboardService } from './dashboard.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How often the stream reads the executions changed since its last read. */
export const EVENTS_POLL_MS = 1000;
const KEEPALIVE_MS = 15_000;

/**
 * Live updates as Server-Sent Events: `event: execution` with `{id, job_id, status, row}` where
 * `row` is the executions-table row rendered for the viewer's language. It reads the rows changed
 * since its last read (indexed on updated_at), so it works with any number of api replicas.
 */
@ApiExcludeController()
@UseFilters(DashboardPageFilter)
@Controller('events')
export class DashboardEventsController {
  constructor(private readonly views: DashboardViews, private readonly data: DashboardService) {}

  @Get('executions')
  @RequirePermissions('execution:read')
  stream(@Req() req: Request, @Res() res: Response, @Query('job_id') jobId?: string): void {
    const page = this.views.page(req, res);
    if (!page.user) throw new DashboardSignInRequired(true);
    if (!hasPermission(page.user, 'execution:read')) throw new DashboardForbidden('execution:read');
    const own = hasPermission(page.user, SEE_ALL_EXECUTIONS) ? undefined : page.user.id;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'X-Content-Type-Options': 'nosniff',
    });
    res.write('retry: 2000\n\n');
    let since = new Date(Date.now() - 2000);
    const seen = new Map<string, string>();
    let closed = false;
    let busy = false;
    const poll = async (): Promise<void> => {
      if (closed || busy) return;
      busy = true;
      try {
        const rows = await this.data.changedSince(since, jobId && UUID.test(jobId) ? jobId : undefined);
        for (const row of rows) {
          if (row.updated_at > since) since = row.updated_at;
          if (own && row.triggered_by_id !== own) continue;
          const key = `${row.status}|${row.current_step ?? ''}`;
          if (seen.get(row.id) === key) continue;
          seen.set(row.id, key);
          if (seen.size > 5000) seen.delete(seen.keys().next().value as string);
          const html = this.views.renderString('_execution-row.njk', page, { e: row });
          res.write(`event: execution\ndata: ${JSON.stringify({ id: row.id, job_id: row.job_id, status: row.status, row: html })}\n\n`);
        }
      } catch {
        // A store outage: the next poll tries again; the browser keeps its connection.
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void poll(), EVENTS_POLL_MS);
    const keepalive = setInterval(() => res.write(': keep-alive\n\n'), KEEPALIVE_MS);
    void poll();
    req.on('close', () => {
      closed = true;
      clearInterval(timer);
      clearInterval(keepalive);
    });
  }
}

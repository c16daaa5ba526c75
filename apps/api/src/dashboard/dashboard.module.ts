import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import cookieParser from 'cookie-parser';
import { urlencoded } from 'body-parser';
import { AuditModule } from '../audit/audit.module';
import { ExecutionsModule } from '../executions/executions.module';
import { HealthModule } from '../health/health.module';
import { AuthModule } from '../auth/auth.module';
import { JobsModule } from '../jobs/jobs.module';
import { PortingModule } from '../porting/porting.module';
import { UsersModule } from '../users/users.module';
import { VariablesModule } from '../variables/variables.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { DashboardAssetsController } from './dashboard-assets.controller';
import { DashboardAuth } from './dashboard-auth.adapter';
import { DashboardEventsController } from './dashboard-events.controller';
import { DashboardKeycloakController } from './dashboard-keycloak.controller';
import { DashboardPageFilter } from './dashboard-page.filter';
import { DashboardPortingController } from './dashboard-porting.controller';
import { DashboardViews } from './dashboard-view';
import { DashboardController } from './dashboard.controller';
import { DashboardService } from './dashboard.service';

/** The web dashboard: server-rendered pages (nunjucks), HTMX, live updates by Server-Sent Events. */
@Module({
  imports: [AuthModule, AuditModule, UsersModule, JobsModule, ExecutionsModule, HealthModule, VariablesModule, WebhooksModule, PortingModule],
  controllers: [DashboardAssetsController, DashboardEventsController, DashboardPortingController, DashboardKeycloakController, DashboardController],
  providers: [DashboardAuth, DashboardViews, DashboardService, DashboardPageFilter],
})
export class DashboardModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Forms post urlencoded bodies; cookies carry the session, the CSRF token and the language.
    consumer.apply(cookieParser(), urlencoded({ extended: false, limit: '1mb' })).forRoutes(DashboardController, DashboardPortingController, DashboardKeycloakController, DashboardEventsController);
  }
}
